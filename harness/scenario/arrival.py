"""The open model's target arrival rate as a scenario writes it: `40`, or steps `"0:10,8s:40"`.

Steps are (seconds since the load started, requests per second), a step function. The same
grammar is parsed in the Locust process by `loadtests/common/arrivals.py` (which the harness
never imports); `--arrival-rate` receives `format_rate(steps)`.
"""

from __future__ import annotations

import itertools
import math
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

RateSteps = tuple[tuple[float, float], ...]


def parse_rate(value: object) -> RateSteps:
    """Steps from `40`, `"40"` or `"0:10,8s:40"`; ValueError naming the problem otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected requests per second, e.g. 40 or '0:10,8s:40'")
    if isinstance(value, int | float):
        text = repr(float(value))
    elif isinstance(value, str):
        text = value.strip()
    elif isinstance(value, tuple):  # already parsed (a model copy)
        return value
    else:
        raise ValueError("expected requests per second, e.g. 40 or '0:10,8s:40'")
    steps: list[tuple[float, float]] = []
    for part in text.split(","):
        at, sep, rate = part.strip().rpartition(":")
        try:
            start = float(at.strip().removesuffix("s")) if sep else 0.0
            per_s = float(rate)
        except ValueError:
            raise ValueError(
                f"{part.strip()!r} is not a rate; write 40, or steps like '0:10,8s:40'"
            ) from None
        if not (math.isfinite(start) and math.isfinite(per_s)) or start < 0 or per_s < 0:
            raise ValueError(f"{part.strip()!r}: times and rates are numbers of 0 or more")
        steps.append((start, per_s))
    if steps[0][0] != 0:
        steps.insert(0, (0.0, 0.0))
    if any(b[0] <= a[0] for a, b in itertools.pairwise(steps)):
        raise ValueError("the steps' start times must increase")
    if not any(per_s > 0 for _, per_s in steps):
        raise ValueError("at least one rate must be more than 0 requests per second")
    return tuple(steps)


def format_rate(steps: RateSteps) -> str:
    """`40` or `0:10,8:40`: what `--arrival-rate` and scenario files accept."""
    if len(steps) == 1:
        return f"{steps[0][1]:g}"
    return ",".join(f"{start:g}:{per_s:g}" for start, per_s in steps)


def rate_at(steps: RateSteps, t: float) -> float:
    current = 0.0
    for start, per_s in steps:
        if start <= t:
            current = per_s
    return current


ArrivalRate = Annotated[
    RateSteps,
    BeforeValidator(parse_rate),
    PlainSerializer(format_rate, return_type=str),
]

__all__ = ["ArrivalRate", "RateSteps", "format_rate", "parse_rate", "rate_at"]
