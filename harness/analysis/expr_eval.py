"""Run a checked condition the way expr-lang v1.17's VM does (`vm/runtime/*.go`).

Go semantics kept: `/` is always float division (x/0 is ±Inf or NaN, never an error), NaN
compares false with everything, ints and floats compare numerically, `and`/`or` short-circuit,
a negative index counts from the end, an index out of range is a runtime error
(`index out of range: 0 (array length is 0)`). Runtime panics carry expr's message.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from harness.analysis.expr_parse import (
    Array,
    Binary,
    Call,
    Conditional,
    ExprError,
    Ident,
    Literal,
    Member,
    Node,
    Pointer,
    Predicate,
    Unary,
)

_INT64_MIN = -(2**63)


def go_type(value: object) -> str:
    """Go's `%T` of the value expr would hold."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, tuple):
        return "[]float64"
    return "[]interface {}"


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _go_equal(a: object, b: object) -> bool:
    """`runtime.Equal`: numeric across int/float, `reflect.DeepEqual` for the rest."""
    if _is_number(a) and _is_number(b):
        return a == b  # NaN != NaN, as in Go
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        if type(a) is not type(b) or len(a) != len(b):
            return False
        return all(_go_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _compare(op: str, a: object, b: object) -> bool:
    pair: tuple[float, float] | tuple[str, str]
    if _is_number(a) and _is_number(b):
        pair = (float(a), float(b))  # type: ignore[arg-type]  # numbers, checked above
    elif isinstance(a, str) and isinstance(b, str):
        pair = (a, b)
    else:
        raise ExprError(f"invalid operation: {go_type(a)} {op} {go_type(b)}")
    x, y = pair
    if op == "<":
        return bool(x < y)  # type: ignore[operator]  # same-kind pair
    if op == ">":
        return bool(x > y)  # type: ignore[operator]
    if op == "<=":
        return bool(x <= y)  # type: ignore[operator]
    return bool(x >= y)  # type: ignore[operator]


def _divide(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _arith(op: str, a: object, b: object) -> object:
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    if not (_is_number(a) and _is_number(b)):
        raise ExprError(f"invalid operation: {go_type(a)} {op} {go_type(b)}")
    x, y = a, b
    assert isinstance(x, int | float) and isinstance(y, int | float)
    if op == "/":
        return _divide(float(x), float(y))
    if op in ("**", "^"):
        try:
            return math.pow(float(x), float(y))
        except (OverflowError, ValueError):
            return math.inf if float(x) > 0 else math.nan
    if op == "%":
        if not (isinstance(x, int) and isinstance(y, int)):
            raise ExprError(f"invalid operation: {go_type(a)} % {go_type(b)}")
        if y == 0:
            raise ExprError("runtime error: integer divide by zero")
        return int(math.fmod(x, y))  # Go truncates toward zero
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    return x * y


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ExprError(f"interface conversion: interface {{}} is {go_type(value)}, not bool")
    return value


def as_int(value: object) -> int:
    """Argo's `asInt`: Go `int64(x)` for numbers, `strconv.ParseInt` for strings."""
    if isinstance(value, bool) or value is None or isinstance(value, tuple | list):
        raise ExprError(f"asInt() not supported on {go_type(value)} {_go_repr(value)}")
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return _INT64_MIN  # what amd64 produces for an out-of-range conversion
        return int(value)
    if isinstance(value, int):
        return value
    assert isinstance(value, str)
    try:
        return int(value, 10)
    except ValueError:
        raise ExprError(f'strconv.ParseInt: parsing "{value}": invalid syntax') from None


def as_float(value: object) -> float:
    """Argo's `asFloat`: numbers as float64, strings through `strconv.ParseFloat`."""
    if isinstance(value, bool) or value is None or isinstance(value, tuple | list):
        raise ExprError(f"asFloat() not supported on {go_type(value)} {_go_repr(value)}")
    if isinstance(value, int | float):
        return float(value)
    assert isinstance(value, str)
    try:
        return float(value)
    except ValueError:
        raise ExprError(f'strconv.ParseFloat: parsing "{value}": invalid syntax') from None


def _go_repr(value: object) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, tuple | list):
        return "[" + " ".join(_go_repr(v) for v in value) + "]"
    if isinstance(value, float):
        return format_float(value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def format_float(value: float) -> str:
    """Go `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits, no exponent."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    from decimal import Decimal

    return format(Decimal(repr(value)).normalize(), "f")


class Evaluator:
    def __init__(self, env: dict[str, object], funcs: dict[str, Callable[..., object]]) -> None:
        self.env = env
        self.funcs = funcs
        self.elements: list[object] = []

    def run(self, node: Node) -> object:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Ident):
            return self.env[node.name]
        if isinstance(node, Pointer):
            return self.elements[-1]
        if isinstance(node, Unary):
            value = self.run(node.node)
            if node.op in ("!", "not"):
                return not _bool(value)
            if not _is_number(value):
                raise ExprError(f"invalid operation: {node.op}{go_type(value)}")
            return -value if node.op == "-" else value  # type: ignore[operator]
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, Member):
            return self.member(node)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Conditional):
            branch = node.then if _bool(self.run(node.cond)) else node.other
            return self.run(branch)
        if isinstance(node, Array):
            return [self.run(item) for item in node.items]
        if isinstance(node, Predicate):
            return self.run(node.body)
        raise ExprError(f"cannot evaluate {type(node).__name__}")

    def binary(self, node: Binary) -> object:
        op = node.op
        if op in ("and", "&&"):
            return _bool(self.run(node.left)) and _bool(self.run(node.right))
        if op in ("or", "||"):
            return _bool(self.run(node.left)) or _bool(self.run(node.right))
        if op == "??":
            left = self.run(node.left)
            return self.run(node.right) if left is None else left
        left, right = self.run(node.left), self.run(node.right)
        if op == "==":
            return _go_equal(left, right)
        if op == "!=":
            return not _go_equal(left, right)
        if op in ("<", ">", "<=", ">="):
            return _compare(op, left, right)
        if op == "in":
            if isinstance(right, tuple | list):
                return any(_go_equal(left, item) for item in right)
            if isinstance(right, str) and isinstance(left, str):
                return left in right
            raise ExprError(f'operator "in" not defined on {go_type(right)}')
        return _arith(op, left, right)

    def member(self, node: Member) -> object:
        base, prop = self.run(node.node), self.run(node.prop)
        if isinstance(base, tuple | list | str) and _is_number(prop):
            index = int(prop)  # type: ignore[call-overload]  # a number, checked above
            length = len(base)
            if index < 0:
                index += length
            if index < 0 or index >= length:
                raise ExprError(f"index out of range: {index} (array length is {length})")
            return base[index]
        raise ExprError(f"cannot fetch {_go_repr(prop)} from {go_type(base)}")

    def call(self, node: Call) -> object:
        name = node.name
        if name == "len":
            value = self.run(node.args[0])
            if isinstance(value, tuple | list | str):
                return len(value)
            raise ExprError(f"invalid argument for len (type {go_type(value)})")
        if name in ("all", "any", "none", "one", "count"):
            return self.predicate(name, node.args[0], node.args[1])
        args = [self.run(arg) for arg in node.args]
        return self.funcs[name](*args)

    def predicate(self, name: str, collection_node: Node, body: Node) -> object:
        collection = self.run(collection_node)
        if not isinstance(collection, tuple | list):
            raise ExprError(f"cannot iterate {go_type(collection)}")
        hits = 0
        for item in collection:
            self.elements.append(item)
            try:
                ok = _bool(self.run(body))
            finally:
                self.elements.pop()
            # all/any/none stop at the first decisive element, as expr's compiled loops do
            if name == "all" and not ok:
                return False
            if name == "any" and ok:
                return True
            if name == "none" and ok:
                return False
            hits += ok
        if name == "all":
            return True
        if name == "any":
            return False
        if name == "none":
            return True
        if name == "one":
            return hits == 1
        return hits
