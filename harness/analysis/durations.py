"""Go `time.ParseDuration`, which Argo uses for `interval` and `initialDelay` (no `d` unit)."""

from __future__ import annotations

from harness.contracts.durations import GO_UNITS, Dialect, NotADuration, parse

_GO = Dialect(GO_UNITS, go_numbers=True)


def parse_duration(text: str) -> float:
    """Seconds in a Go duration string (`30s`, `1m30s`, `1.5h`); ValueError with Go's message."""
    quoted = f'"{text}"'
    # Go's additions to the grammar: a leading sign, and a bare `0` without a unit.
    sign, rest = 1.0, text
    if text[:1] in ("+", "-"):
        sign, rest = (-1.0 if text[0] == "-" else 1.0), text[1:]
    if rest == "0":
        return 0.0
    try:
        return sign * parse(rest, _GO)
    except NotADuration as exc:
        if exc.reason == "no unit":
            raise ValueError(f"time: missing unit in duration {quoted}") from None
        if exc.reason == "unknown unit":
            raise ValueError(f'time: unknown unit "{exc.unit}" in duration {quoted}') from None
        raise ValueError(f"time: invalid duration {quoted}") from None
