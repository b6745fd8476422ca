"""Lexer and parser for the subset of expr-lang (v1.17) that Argo Rollouts conditions use.

Precedences, the chained-comparison rewrite (`a < b < c` → `a < b && b < c`) and unary
operators binding tighter than comparisons (`not a > b` is `(not a) > b`) follow
`parser/parser.go` and `parser/operator/operator.go` of expr v1.17.8. Syntax errors carry
expr's wording where it matters (`unexpected token ...`); they become measurement Errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "Array",
    "Binary",
    "Call",
    "Conditional",
    "ExprError",
    "Ident",
    "Literal",
    "Member",
    "Node",
    "Pointer",
    "Predicate",
    "Unary",
    "parse",
]


class ExprError(Exception):
    """Raised for a compile or runtime error of a condition (Argo: measurement Error)."""


class Unsupported(Exception):
    """Raised for valid expr-lang that this evaluator does not implement (bad input, not Argo)."""


@dataclass(frozen=True)
class Literal:
    value: object  # bool | int | float | str | None


@dataclass(frozen=True)
class Ident:
    name: str


@dataclass(frozen=True)
class Pointer:
    """`#` inside a predicate: the current element."""


@dataclass(frozen=True)
class Unary:
    op: str
    node: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Member:
    node: Node
    prop: Node
    dotted: bool  # `a.b` (property name) rather than `a[b]`


@dataclass(frozen=True)
class Predicate:
    body: Node


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Conditional:
    cond: Node
    then: Node
    other: Node


@dataclass(frozen=True)
class Array:
    items: tuple[Node, ...]


Node = Literal | Ident | Pointer | Unary | Binary | Member | Predicate | Call | Conditional | Array

UNARY = {"not": 50, "!": 50, "-": 90, "+": 90}
BINARY = {
    "or": 10, "||": 10, "and": 15, "&&": 15,
    "==": 20, "!=": 20, "<": 20, ">": 20, ">=": 20, "<=": 20,
    "in": 20, "matches": 20, "contains": 20, "startsWith": 20, "endsWith": 20,
    "..": 25, "+": 30, "-": 30, "*": 60, "/": 60, "%": 60, "**": 100, "^": 100, "??": 500,
}  # fmt: skip
RIGHT_ASSOC = {"**", "^"}
COMPARISON = {"<", ">", ">=", "<="}
NEGATABLE = {"contains", "matches", "startsWith", "endsWith", "in"}
WORD_OPERATORS = {"and", "or", "not", "in", "matches", "contains", "startsWith", "endsWith"}
# Builtins that take a predicate as their second argument (parser.go: `predicates`).
_PREDICATES = "all none any one filter map count sum find findIndex findLast findLastIndex groupBy"
PREDICATE_BUILTINS = {*_PREDICATES.split(), "sortBy", "reduce"}


@dataclass(frozen=True)
class Token:
    kind: str  # Number, String, Identifier, Operator, Bracket, EOF
    value: str

    def __str__(self) -> str:
        if self.value == "" and self.kind == "EOF":
            return "EOF"
        return f'{self.kind}("{self.value}")'


_NUMBER = re.compile(
    r"0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|[0-9][0-9_]*(?:\.(?!\.)[0-9_]*)?(?:[eE][+-]?[0-9_]+)?"
    r"|\.[0-9][0-9_]*(?:[eE][+-]?[0-9_]+)?"
)
_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_OPERATORS = ("**", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "..", "::")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}


def tokenize(source: str) -> list[Token]:
    """Split `source` into tokens; unknown characters are a syntax error, as in expr."""
    tokens: list[Token] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "'\"":
            j, chars = i + 1, []
            while j < len(source) and source[j] != ch:
                if source[j] == "\\" and j + 1 < len(source):
                    chars.append(_ESCAPES.get(source[j + 1], source[j + 1]))
                    j += 2
                    continue
                chars.append(source[j])
                j += 1
            if j >= len(source):
                raise ExprError("literal not terminated")
            tokens.append(Token("String", "".join(chars)))
            i = j + 1
            continue
        if ch.isdigit() or (ch == "." and i + 1 < len(source) and source[i + 1].isdigit()):
            m = _NUMBER.match(source, i)
            assert m is not None  # a digit always matches
            end = m.end()
            if end < len(source) and (source[end].isalnum() or source[end] == "_"):
                raise ExprError(f'bad number syntax: "{source[i : end + 1]}"')
            tokens.append(Token("Number", m.group(0)))
            i = end
            continue
        m = _IDENT.match(source, i)
        if m:
            word = m.group(0)
            kind = "Operator" if word in WORD_OPERATORS else "Identifier"
            tokens.append(Token(kind, word))
            i = m.end()
            continue
        two = source[i : i + 2]
        if two in _OPERATORS:
            tokens.append(Token("Operator", two))
            i += 2
            continue
        if ch in "()[]{}":
            tokens.append(Token("Bracket", ch))
        elif ch in ",;%+-^<>!=*/?:.#|&":
            tokens.append(Token("Operator", ch))
        else:
            raise ExprError(f"unrecognized character: U+{ord(ch):04X} '{ch}'")
        i += 1
    tokens.append(Token("EOF", ""))
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.pos = 0
        self.depth = 0  # inside a predicate: `#` is allowed

    @property
    def current(self) -> Token:
        return self.tokens[self.pos]

    def next(self) -> None:
        if self.pos < len(self.tokens) - 1:
            self.pos += 1

    def is_(self, kind: str, value: str | None = None) -> bool:
        tok = self.current
        return tok.kind == kind and (value is None or tok.value == value)

    def expect(self, kind: str, value: str) -> None:
        if not self.is_(kind, value):
            raise ExprError(f"unexpected token {self.current}")
        self.next()

    def parse(self) -> Node:
        if self.is_("EOF"):
            raise ExprError("unexpected token EOF")
        node = self.expression(0)
        if not self.is_("EOF"):
            raise ExprError(f"unexpected token {self.current}")
        return node

    def expression(self, precedence: int) -> Node:
        left = self.primary()
        previous = ""
        while self.is_("Operator"):
            tok = self.current
            negate = tok.value == "not"
            op = tok.value
            if negate:
                save = self.pos
                self.next()
                if self.current.value not in NEGATABLE or self.current.kind != "Operator":
                    raise ExprError(f"unexpected token {self.current}")
                op = self.current.value
                if BINARY[op] < precedence:
                    self.pos = save
                    break
            if op not in BINARY or BINARY[op] < precedence:
                break
            self.next()
            if previous == "??" and op != "??":
                raise ExprError(
                    f"Operator ({op}) and coalesce expressions (??) cannot be mixed. "
                    "Wrap either by parentheses."
                )
            previous = op
            if op in COMPARISON:
                left = self.comparison(left, op)
                continue
            right = self.expression(BINARY[op] if op in RIGHT_ASSOC else BINARY[op] + 1)
            left = Binary(op, left, right)
            if negate:
                left = Unary("not", left)
        if precedence == 0:
            left = self.conditional(left)
        return left

    def comparison(self, left: Node, op: str) -> Node:
        root: Node | None = None
        while True:
            right = self.expression(BINARY[op] + 1)
            cmp = Binary(op, left, right)
            root = cmp if root is None else Binary("&&", root, cmp)
            left = right
            if not (self.is_("Operator") and self.current.value in COMPARISON):
                return root
            op = self.current.value
            self.next()

    def conditional(self, node: Node) -> Node:
        while self.is_("Operator", "?"):
            self.next()
            if self.is_("Operator", ":"):  # `a ?: b` is `a ? a : b`
                self.next()
                node = Conditional(node, node, self.expression(0))
                continue
            then = self.expression(0)
            self.expect("Operator", ":")
            other = self.expression(0)
            node = Conditional(node, then, other)
        return node

    def primary(self) -> Node:
        tok = self.current
        if tok.kind == "Operator" and tok.value in UNARY:
            self.next()
            return self.postfix(Unary(tok.value, self.expression(UNARY[tok.value])))
        if self.is_("Bracket", "("):
            self.next()
            node = self.expression(0)
            self.expect("Bracket", ")")
            return self.postfix(node)
        if self.depth > 0 and self.is_("Operator", "#"):
            self.next()
            if self.is_("Identifier"):
                raise Unsupported(f"named pointer #{self.current.value}")
            return self.postfix(Pointer())
        if self.depth > 0 and self.is_("Operator", "."):
            raise Unsupported("implicit member access `.field` in a predicate")
        return self.secondary()

    def secondary(self) -> Node:
        tok = self.current
        node: Node
        if tok.kind == "Identifier":
            self.next()
            if tok.value in ("true", "false"):
                return Literal(tok.value == "true")
            if tok.value == "nil":
                return Literal(None)
            if tok.value in ("let", "if"):
                raise Unsupported(f"`{tok.value}` expressions")
            node = self.call(tok.value) if self.is_("Bracket", "(") else Ident(tok.value)
        elif tok.kind == "Number":
            self.next()
            node = Literal(_number(tok.value))
            return node
        elif tok.kind == "String":
            self.next()
            node = Literal(tok.value)
        elif self.is_("Bracket", "["):
            self.next()
            items: list[Node] = []
            while not self.is_("Bracket", "]"):
                if items:
                    self.expect("Operator", ",")
                    if self.is_("Bracket", "]"):
                        break
                items.append(self.expression(0))
            self.next()
            node = Array(tuple(items))
        elif self.is_("Bracket", "{"):
            raise Unsupported("map literals")
        else:
            raise ExprError(f"unexpected token {tok}")
        return self.postfix(node)

    def call(self, name: str) -> Node:
        self.expect("Bracket", "(")
        args: list[Node] = []
        while not self.is_("Bracket", ")"):
            if args:
                self.expect("Operator", ",")
            if name in PREDICATE_BUILTINS and len(args) == 1:
                args.append(self.predicate())
            else:
                args.append(self.expression(0))
        self.next()
        return Call(name, tuple(args))

    def predicate(self) -> Node:
        braces = self.is_("Bracket", "{")
        if braces:
            self.next()
        self.depth += 1
        body = self.expression(0)
        self.depth -= 1
        if braces:
            self.expect("Bracket", "}")
        return Predicate(body)

    def postfix(self, node: Node) -> Node:
        while True:
            if self.is_("Operator", "."):
                self.next()
                tok = self.current
                if tok.kind not in ("Identifier", "Operator") or not _IDENT.fullmatch(tok.value):
                    raise ExprError("expected name")
                self.next()
                if self.is_("Bracket", "("):
                    raise Unsupported("method calls")
                node = Member(node, Literal(tok.value), dotted=True)
            elif self.is_("Operator", "?."):
                raise Unsupported("optional chaining `?.`")
            elif self.is_("Bracket", "["):
                self.next()
                if self.is_("Operator", ":"):
                    raise Unsupported("slices `a[i:j]`")
                index = self.expression(0)
                if self.is_("Operator", ":"):
                    raise Unsupported("slices `a[i:j]`")
                self.expect("Bracket", "]")
                node = Member(node, index, dotted=False)
            else:
                return node


def _number(text: str) -> int | float:
    value = text.replace("_", "")
    low = value.lower()
    if low.startswith(("0x", "0b", "0o")):
        return int(value, 0)
    if "." in low or "e" in low:
        return float(value)
    return int(value)


def parse(source: str) -> Node:
    """Parse one condition; raises ExprError (Argo: Error) or Unsupported (harness limit)."""
    return _Parser(source).parse()
