"""Static type check of a condition, as expr-lang v1.17 does at `expr.Compile(cond, expr.Env(env))`.

Argo passes a map env, so expr types `result` by its *value* at compile time
(`conf/env.go: EnvWithCache`): a vector is `[]float64`, a scalar `float64`. That is why
`result > 0.9` on a vector fails to compile (`invalid operation: > (mismatched types []float64
and float64)`) and `result[0]` on a scalar fails with `type float64[int] is undefined`.
Messages follow `checker/checker.go` and `builtin/builtin.go` of expr v1.17.8.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    Unsupported,
)


@dataclass(frozen=True)
class Type:
    kind: str  # bool, int, float, string, nil, unknown, array
    name: str  # Go spelling, used in messages
    elem: Type | None = None

    @property
    def number(self) -> bool:
        return self.kind in ("int", "float")


BOOL = Type("bool", "bool")
INT = Type("int", "int")
INT64 = Type("int", "int64")
FLOAT = Type("float", "float64")
STRING = Type("string", "string")
NIL = Type("nil", "nil")
UNKNOWN = Type("unknown", "interface {}")
FLOATS = Type("array", "[]float64", FLOAT)
ANYS = Type("array", "[]interface {}", UNKNOWN)

# Argo's env functions (`utils/evaluate/evaluate.go`): name -> (parameter types, result type).
ENV_FUNCS: dict[str, tuple[tuple[Type, ...], Type]] = {
    "asInt": ((UNKNOWN,), INT64),
    "asFloat": ((UNKNOWN,), FLOAT),
    "isNaN": ((FLOAT,), BOOL),
    "isInf": ((FLOAT,), BOOL),
    "isNil": ((UNKNOWN,), BOOL),
    "default": ((UNKNOWN, UNKNOWN), UNKNOWN),
}
PREDICATE_FUNCS = {"all", "any", "none", "one", "count"}
# Every other expr v1.17 builtin: valid in Argo, not implemented here (reported as bad input).
_OTHER = """
    filter map find findIndex findLast findLastIndex sum groupBy sortBy reduce type abs ceil floor
    round int float string trim trimPrefix trimSuffix upper lower split splitAfter replace repeat
    join indexOf lastIndexOf hasPrefix hasSuffix max min mean median toJSON fromJSON now duration
    date timezone first last get take keys values toPairs fromPairs reverse uniq concat flatten
    sort bitnot bitand bitor bitxor bitnand bitshl bitshr bitushr
"""
OTHER_BUILTINS = set(_OTHER.split())


def type_of(value: object) -> Type:
    """The static type expr gives an env value (a vector is a tuple of floats here)."""
    if value is None:
        return NIL
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STRING
    if isinstance(value, tuple):
        return FLOATS
    return ANYS


def _unknown(t: Type) -> bool:
    return t.kind == "unknown"


def _maybe(left: Type, right: Type, kinds: set[str]) -> bool:
    """expr's `MaybeCompatible`: an unknown side may turn out to be of a matching kind."""
    if _unknown(left) and _unknown(right):
        return True
    return (_unknown(left) and right.kind in kinds) or (_unknown(right) and left.kind in kinds)


def _comparable(left: Type, right: Type) -> bool:
    return (
        _unknown(left)
        or _unknown(right)
        or left.kind == "nil"
        or right.kind == "nil"
        or (left.number and right.number)
        or (left.kind == "array" and right.kind == "array")
        or left == right
    )


def _mismatch(op: str, left: Type, right: Type) -> ExprError:
    return ExprError(f"invalid operation: {op} (mismatched types {left.name} and {right.name})")


class Checker:
    def __init__(self, env: dict[str, Type]) -> None:
        self.env = env
        self.scopes: list[Type] = []  # element type of each enclosing predicate

    def check(self, node: Node) -> Type:
        if isinstance(node, Literal):
            return type_of(node.value) if not isinstance(node.value, tuple) else FLOATS
        if isinstance(node, Ident):
            if node.name in self.env:
                return self.env[node.name]
            if node.name in OTHER_BUILTINS or node.name in ENV_FUNCS:
                raise Unsupported(f"`{node.name}` used as a value")
            raise ExprError(f"unknown name {node.name}")
        if isinstance(node, Pointer):
            return self.scopes[-1] if self.scopes else UNKNOWN
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, Member):
            return self.member(node)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Conditional):
            cond = self.check(node.cond)
            if cond.kind not in ("bool", "unknown"):
                raise ExprError(f"non-bool expression (type {cond.name}) used as condition")
            then, other = self.check(node.then), self.check(node.other)
            return then if then == other else UNKNOWN
        if isinstance(node, Array):
            for item in node.items:
                self.check(item)
            return ANYS
        if isinstance(node, Predicate):
            return self.check(node.body)
        raise Unsupported(type(node).__name__)

    def unary(self, node: Unary) -> Type:
        t = self.check(node.node)
        if node.op in ("!", "not"):
            if t.kind in ("bool", "unknown"):
                return BOOL
        elif t.number or _unknown(t):
            return t
        raise ExprError(f"invalid operation: {node.op} (mismatched type {t.name})")

    def binary(self, node: Binary) -> Type:
        op = node.op
        left, right = self.check(node.left), self.check(node.right)
        if op in ("==", "!="):
            if _comparable(left, right):
                return BOOL
        elif op in ("or", "||", "and", "&&"):
            if (left.kind == "bool" and right.kind == "bool") or _maybe(left, right, {"bool"}):
                return BOOL
        elif op in ("<", ">", ">=", "<="):
            same = (left.number and right.number) or left.kind == right.kind == "string"
            if same or _maybe(left, right, {"int", "float", "string"}):
                return BOOL
        elif op in ("+", "-", "*"):
            if left.number and right.number:
                return FLOAT if "float" in (left.kind, right.kind) else INT
            if op == "+" and left.kind == right.kind == "string":
                return STRING
            kinds = {"int", "float", "string"} if op == "+" else {"int", "float"}
            if _maybe(left, right, kinds):
                return UNKNOWN
        elif op in ("/", "**", "^"):
            if (left.number and right.number) or _maybe(left, right, {"int", "float"}):
                return FLOAT
        elif op == "%":
            if (left.kind == right.kind == "int") or _maybe(left, right, {"int"}):
                return INT
        elif op == "in":
            if right.kind == "array":
                assert right.elem is not None
                if not _comparable(left, right.elem):
                    raise ExprError(f"cannot use {left.name} as type {right.elem.name} in array")
                return BOOL
            if (_unknown(left) and right.kind in ("string", "array")) or _unknown(right):
                return BOOL
        elif op == "??":
            if left.kind == "nil":
                return right
            if right.kind == "nil" or right == left:
                return left
            return UNKNOWN
        else:
            raise Unsupported(f"operator `{op}`")
        raise _mismatch(op, left, right)

    def member(self, node: Member) -> Type:
        base = self.check(node.node)
        prop = self.check(node.prop)
        if _unknown(base):
            return UNKNOWN
        name = node.prop.value if node.dotted and isinstance(node.prop, Literal) else None
        if name is not None and base.kind == "nil":
            raise ExprError(f"type nil has no field {name}")
        if base.kind == "array":
            if prop.kind != "int" and not _unknown(prop):
                raise ExprError(
                    f"array elements can only be selected using an integer (got {prop.name})"
                )
            assert base.elem is not None
            return base.elem
        if name is not None:
            raise ExprError(f"type {base.name} has no field {name}")
        raise ExprError(f"type {base.name}[{prop.name}] is undefined")

    def call(self, node: Call) -> Type:
        name, args = node.name, node.args
        if name in ENV_FUNCS:
            params, out = ENV_FUNCS[name]
            if len(args) > len(params):
                raise ExprError(f"too many arguments to call {name}")
            if len(args) < len(params):
                raise ExprError(f"not enough arguments to call {name}")
            for arg, param in zip(args, params, strict=True):
                t = self.check(arg)
                if param == FLOAT and t.kind == "int":
                    continue  # expr converts integer arguments of a float parameter
                if t.kind == "nil" and not _unknown(param):
                    raise ExprError(
                        f"cannot use nil as argument (type {param.name}) to call {name}"
                    )
                if not _unknown(param) and t != param and not _unknown(t):
                    # the trailing space is expr's (checker.go: checkArguments)
                    raise ExprError(
                        f"cannot use {t.name} as argument (type {param.name}) to call {name} "
                    )
            return out
        if name == "len":
            if len(args) != 1:
                raise ExprError(f"invalid number of arguments (expected 1, got {len(args)})")
            t = self.check(args[0])
            if t.kind in ("array", "string", "unknown"):
                return INT
            raise ExprError(f"invalid argument for len (type {t.name})")
        if name in PREDICATE_FUNCS:
            return self.predicate_call(name, args)
        if name in OTHER_BUILTINS:
            raise Unsupported(f"builtin `{name}`")
        raise ExprError(f"unknown name {name}")

    def predicate_call(self, name: str, args: tuple[Node, ...]) -> Type:
        if len(args) != 2 or not isinstance(args[1], Predicate):
            raise Unsupported(f"`{name}` without a predicate")
        collection = self.check(args[0])
        if collection.kind != "array" and not _unknown(collection):
            raise ExprError(f"builtin {name} takes only array (got {collection.name})")
        self.scopes.append(collection.elem or UNKNOWN)
        try:
            out = self.check(args[1])
        finally:
            self.scopes.pop()
        if out.kind not in ("bool", "unknown"):
            raise ExprError(f"predicate should return boolean (got {out.name})")
        return INT if name == "count" else BOOL


def check(node: Node, env: dict[str, Type]) -> Type:
    """Type-check `node` against env types; raises ExprError with expr's message."""
    return Checker(env).check(node)
