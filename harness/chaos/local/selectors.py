"""Kubernetes label selectors, parsed and matched as pure functions.

Supports the set-based grammar chaostoolkit experiments use: `a=b`, `a==b`, `a!=b`,
`a in (x,y)`, `a notin (x,y)`, `a` (exists), `!a` (does not exist), joined by commas.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from harness.errors import BadInput

_SET = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ = re.compile(r"^\s*([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)\s*$")
_EXISTS = re.compile(r"^\s*(!?)([\w./-]+)\s*$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # in, notin, exists, !exists
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.op == "exists":
            return self.key in labels
        if self.op == "!exists":
            return self.key not in labels
        if self.op == "in":
            return labels.get(self.key) in self.values
        return labels.get(self.key) not in self.values


def _split(selector: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in selector:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p for p in parts if p.strip()]


def parse_selector(selector: str | None) -> tuple[Requirement, ...]:
    """Parse a label selector; BadInput naming the broken term when it is not one."""
    if not selector:
        return ()
    reqs: list[Requirement] = []
    for term in _split(selector):
        if m := _SET.match(term):
            values = frozenset(v.strip() for v in m.group(3).split(",") if v.strip())
            reqs.append(Requirement(m.group(1), m.group(2), values))
        elif m := _EQ.match(term):
            op = "notin" if m.group(2) == "!=" else "in"
            reqs.append(Requirement(m.group(1), op, frozenset({m.group(3)})))
        elif m := _EXISTS.match(term):
            reqs.append(Requirement(m.group(2), "!exists" if m.group(1) else "exists"))
        else:
            raise BadInput(
                f"label_selector: cannot parse {term.strip()!r} (use key=value, key in (a,b))"
            )
    return tuple(reqs)


def selector_matches(selector: str | None, labels: Mapping[str, str]) -> bool:
    return all(req.matches(labels) for req in parse_selector(selector))
