"""Pure load-shape timelines: (parameters, seconds since start) -> (users, spawn rate) or None.

No locust import here: these functions are the whole behaviour of the shapes and are tested
in-process; the shape classes only read their parameters and call one of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Tick = tuple[int, float] | None


@dataclass(frozen=True)
class ShapeParams:
    """Parameters every shape understands; each shape documents which ones it uses.

    users       steady level, or the base level the other shapes start from and return to
    peak        highest user count (ramp end, last step, spike top, wave crest)
    duration    seconds until the shape stops the test
    spawn_rate  users started or stopped per second when the target changes
    steps       number of levels of the step shape (the first is `users`, the last `peak`)
    """

    users: int = 10
    peak: int = 50
    duration: float = 60.0
    spawn_rate: float = 10.0
    steps: int = 4

    def problems(self) -> list[str]:
        """What is wrong with these parameters, as `field: problem` lines (empty = valid)."""
        found = []
        if self.users < 0:
            found.append("users: must be 0 or more")
        if self.peak < 1:
            found.append("peak: must be at least 1")
        if not self.duration > 0:
            found.append("duration: must be more than 0 seconds")
        if not self.spawn_rate > 0:
            found.append("spawn_rate: must be more than 0 users per second")
        if self.steps < 2:
            found.append("steps: must be at least 2")
        return found


def steady(p: ShapeParams, t: float) -> Tick:
    """`users` for `duration` seconds."""
    return (p.users, p.spawn_rate) if t < p.duration else None


def ramp(p: ShapeParams, t: float) -> Tick:
    """From `users` up to `peak` in a straight line over the first 80 % of `duration`, then hold."""
    if t >= p.duration:
        return None
    climb = 0.8 * p.duration
    fraction = min(1.0, t / climb)
    return (round(p.users + (p.peak - p.users) * fraction), p.spawn_rate)


def step(p: ShapeParams, t: float) -> Tick:
    """`steps` equal-length levels from `users` to `peak`."""
    if t >= p.duration:
        return None
    level = min(p.steps - 1, int(t / (p.duration / p.steps)))
    return (round(p.users + (p.peak - p.users) * level / (p.steps - 1)), p.spawn_rate)


def spike(p: ShapeParams, t: float) -> Tick:
    """`users`, then `peak` from 40 % to 60 % of `duration`, then `users` again.

    The spike arrives as fast as Locust can start users: its spawn rate is at least the jump,
    so the top is reached within a second whatever `spawn_rate` says for the quiet parts.
    """
    if t >= p.duration:
        return None
    if 0.4 * p.duration <= t < 0.6 * p.duration:
        return (p.peak, max(p.spawn_rate, float(abs(p.peak - p.users))))
    return (p.users, max(p.spawn_rate, float(abs(p.peak - p.users))))


def double_wave(p: ShapeParams, t: float) -> Tick:
    """Two crests of `peak` at 25 % and 75 % of `duration`, troughs of `users` in between."""
    if t >= p.duration:
        return None
    swell = math.sin(2 * math.pi * t / p.duration) ** 2
    return (round(p.users + (p.peak - p.users) * swell), p.spawn_rate)


TIMELINES = {
    "steady": steady,
    "ramp": ramp,
    "step": step,
    "spike": spike,
    "double_wave": double_wave,
}
