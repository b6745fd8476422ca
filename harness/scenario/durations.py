"""Durations as users write them (`30s`, `1m30s`, `500ms`) and as the report shows them."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

from harness.contracts.durations import HARNESS_UNITS, Dialect, NotADuration, parse

_HARNESS = Dialect(HARNESS_UNITS)
# A week: longer than any phase a run judges, short enough for every timer and sleep the run
# arms (`time.sleep(1e300)` overflows; a phase of years would never end)
MAX_SECONDS = 7 * 24 * 3600.0


def parse_duration(value: object) -> float:
    """Seconds from `30s`, `1m30s`, `250ms` or a plain number of seconds; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 1m or 500ms")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = parse(value.strip(), _HARNESS)
        except NotADuration:
            raise ValueError(
                f"{value!r} is not a duration; write it like 30s, 1m30s or 500ms"
            ) from None
    else:
        raise ValueError("expected a duration such as 30s, 1m or 500ms")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("a duration must be zero or positive")
    if seconds > MAX_SECONDS:
        raise ValueError(f"{value!r} is longer than a week (168h); split the run")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest of `1m30s`, `15s`, `250ms` that round-trips through `parse_duration`."""
    if seconds != int(seconds):
        return f"{round(seconds * 1000)}ms"
    whole = int(seconds)
    minutes, secs = divmod(whole, 60)
    if minutes and secs:
        return f"{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]
"""Seconds in Python, a `30s`-style string in files and reports."""
