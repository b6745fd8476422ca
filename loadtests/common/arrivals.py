"""The open model's schedule, pure: when each arrival is due (no locust here).

A rate is `40` (requests per second, constant) or steps `0:10,8:40,30s:80`: from second 0 of the
schedule 10/s, from second 8 40/s, from second 30 80/s. Arrivals are evenly spaced inside a
step; a change of rate carries the fraction of an arrival already accumulated, so the count
over any interval is the integral of the rate, give or take one.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

Steps = tuple[tuple[float, float], ...]


def parse_rate(text: str) -> Steps:
    """`40` or `0:10,8s:40`; ValueError with the reason on anything else."""
    text = text.strip()
    if not text:
        raise ValueError("empty rate")
    steps: list[tuple[float, float]] = []
    for part in text.split(","):
        at, sep, rate = part.strip().rpartition(":")
        start = float(at.strip().removesuffix("s")) if sep else 0.0
        value = float(rate)
        if not (math.isfinite(start) and math.isfinite(value)) or start < 0 or value < 0:
            raise ValueError(f"{part.strip()!r}: times and rates are numbers of 0 or more")
        steps.append((start, value))
    if steps[0][0] != 0:
        steps.insert(0, (0.0, 0.0))
    if any(b[0] <= a[0] for a, b in itertools.pairwise(steps)):
        raise ValueError("the steps' start times must increase")
    if not any(rate > 0 for _, rate in steps):
        raise ValueError("at least one rate must be more than 0")
    return tuple(steps)


def format_rate(steps: Steps) -> str:
    if len(steps) == 1:
        return f"{steps[0][1]:g}"
    return ",".join(f"{start:g}:{rate:g}" for start, rate in steps)


def arrivals(steps: Steps) -> Iterator[float]:
    """Seconds since the schedule's start at which each arrival is due, in order, forever
    (or until the last step's rate is 0)."""
    credit = 0.0  # the part of the next arrival already accumulated
    for i, (start, rate) in enumerate(steps):
        end = steps[i + 1][0] if i + 1 < len(steps) else math.inf
        t = start
        if rate <= 0:
            continue
        while True:
            due = t + (1.0 - credit) / rate
            if due >= end:
                credit += (end - t) * rate
                break
            yield due
            t, credit = due, 0.0


def rate_at(steps: Steps, t: float) -> float:
    """The asked rate at `t` seconds into the schedule."""
    current = 0.0
    for start, rate in steps:
        if start <= t:
            current = rate
    return current
