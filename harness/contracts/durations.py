"""The one duration grammar: every duration a user writes is read here.

A duration is one or more parts, each a number followed by a unit, with nothing between
parts: `30s`, `1m30s`, `250ms`, `1.5h`. A `Dialect` says which units exist and what they
weigh, and how a number is spelled; the thin wrappers beside each tool that reads durations
(scenario files, Argo's Go durations, Istio fields, chaosistio's `fixed_delay`, Locust's
`--run-time`) add only what that tool accepts beyond the grammar (a sign, a bare `0`, a plain
number of seconds) and word the error the way its users expect.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

# Seconds per unit. Go's `time.ParseDuration` spells micro both with the micro sign (U+00B5)
# and the Greek letter mu (U+03BC).
HARNESS_UNITS: Mapping[str, float] = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
GO_UNITS: Mapping[str, float] = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}

# A number is `12` or `1.5` (any Unicode digit, as Python's `\d`); Go's spelling also allows
# `.5` and `5.` but only ASCII digits. A unit is the whole run of characters up to the next
# digit or dot, so `1ms` is milliseconds and `1hm` an unknown unit, never `1h` + junk.
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_UNIT = re.compile(r"[^\d.]*")
_GO_NUMBER = re.compile(r"[0-9]*(?:\.[0-9]*)?")
_GO_UNIT = re.compile(r"[^0-9.]*")
_SPACE = re.compile(r"\s*")

Reason = Literal["empty", "number", "no unit", "unknown unit"]


@dataclass(frozen=True)
class Dialect:
    """What one reader accepts: its units (and their weight in its scale) and its numbers."""

    units: Mapping[str, float]
    go_numbers: bool = False  # Go's number spelling: ASCII digits, `.5` and `5.` allowed
    space_before_unit: bool = False  # `500 ms` as well as `500ms`


@dataclass(frozen=True)
class Part:
    """One `<number><unit>` part, as written."""

    number: str
    unit: str


class NotADuration(ValueError):
    """Raised when text does not fit the grammar; `reason` lets each reader word its message."""

    def __init__(self, text: str, reason: Reason, unit: str = "") -> None:
        super().__init__(f"{text!r} is not a duration ({reason}{f' {unit!r}' if unit else ''})")
        self.text = text
        self.reason: Reason = reason
        self.unit = unit


def split(text: str, dialect: Dialect) -> tuple[Part, ...]:
    """The parts of `text`, which must be parts from end to end (the caller strips blanks)."""
    if not text:
        raise NotADuration(text, "empty")
    number_re, unit_re = (_GO_NUMBER, _GO_UNIT) if dialect.go_numbers else (_NUMBER, _UNIT)
    parts: list[Part] = []
    pos = 0
    while pos < len(text):
        number = number_re.match(text, pos)
        if number is None or number.group() in ("", "."):
            raise NotADuration(text, "number")
        pos = number.end()
        if dialect.space_before_unit:
            pos += len(_run(_SPACE, text, pos))
        unit = _run(unit_re, text, pos)
        if not unit:
            raise NotADuration(text, "no unit")
        if unit not in dialect.units:
            raise NotADuration(text, "unknown unit", unit)
        parts.append(Part(number.group(), unit))
        pos += len(unit)
    return tuple(parts)


def _run(pattern: re.Pattern[str], text: str, pos: int) -> str:
    """The run `pattern` (a `*` pattern, which always matches) reads at `pos`."""
    match = pattern.match(text, pos)
    return match.group() if match else ""


def total(parts: tuple[Part, ...], dialect: Dialect) -> float:
    """The sum of the parts in the dialect's scale, added left to right."""
    value = 0.0
    for part in parts:
        value += float(part.number) * dialect.units[part.unit]
    return value


def parse(text: str, dialect: Dialect) -> float:
    """`total(split(text))`: the duration in the dialect's scale; NotADuration otherwise."""
    return total(split(text, dialect), dialect)
