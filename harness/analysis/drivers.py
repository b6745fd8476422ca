"""Thin drivers that advance an `AnalysisRunState`: a replay over a past window, or live.

Replay: each reconcile happens at the instant Argo would have scheduled it, and each query is
evaluated at that instant (`time=` on the instant query), as if every measurement finished the
moment it started. Live: the same loop on the wall clock, queries at the server's now.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from harness.analysis.model import Metric
from harness.analysis.source import measure, resolve_address
from harness.analysis.state import AnalysisRunState, Measurement
from harness.contracts.promql import Connect

OnMeasurement = Callable[[Metric, Measurement], None]


def _measurer(
    connect: Connect, prometheus: str | None, *, live: bool, clock: Callable[[], float]
) -> Callable[[Metric, float], Measurement]:
    def take(metric: Metric, now: float) -> Measurement:
        address = resolve_address(metric, prometheus)
        if live:
            return measure(metric, connect, at=None, started=clock(), address=address, clock=clock)
        return measure(metric, connect, at=now, started=now, address=address)

    return take


def _notify(taken: list[tuple[Metric, Measurement]], hook: OnMeasurement | None) -> None:
    if hook is not None:
        for metric, measurement in taken:
            hook(metric, measurement)


def incomplete(state: AnalysisRunState) -> list[str]:
    """Metrics that cannot be judged yet: a finite count not reached, or nothing measured."""
    names = set(state.incomplete_bounded())
    for metric in state.metrics:
        result = state.results.get(metric.name)
        if metric.name not in state.dry_run and (result is None or not result.measurements):
            names.add(metric.name)
    return [m.name for m in state.metrics if m.name in names]


def replay(
    state: AnalysisRunState,
    connect: Connect,
    *,
    start: float,
    end: float,
    prometheus: str | None = None,
    on_measurement: OnMeasurement | None = None,
) -> list[str]:
    """Run the analysis over [start, end]; returns the metrics left incomplete at `end`.

    If only unbounded metrics are still running at `end`, the run is terminated there, as a
    Rollout terminates its background analysis; if a metric with a count did not finish, the
    run stays Running (the window was too short to judge).
    """
    take = _measurer(connect, prometheus, live=False, clock=time.time)
    now = start
    _notify(state.reconcile(now, take), on_measurement)
    while not state.phase.completed:
        upcoming = state.next_time()
        if upcoming is None or upcoming > end:
            break
        now = max(upcoming, now)
        _notify(state.reconcile(now, take), on_measurement)
    if state.phase.completed:
        return []
    left = incomplete(state)
    if not left:
        state.terminate(end)
    return left


def run_live(
    state: AnalysisRunState,
    connect: Connect,
    *,
    prometheus: str | None = None,
    on_measurement: OnMeasurement | None = None,
    until: float | None = None,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Run on the wall clock until the analysis completes, `until` passes or `stop` is set.

    Ending early works like the end of a replay window (see `replay`): unbounded metrics are
    terminated, unfinished counted metrics are returned and the run stays Running. Without
    `until` or `stop`, unbounded metrics run until the process is interrupted.
    """
    take = _measurer(connect, prometheus, live=True, clock=clock)
    _notify(state.reconcile(clock(), take), on_measurement)
    while not state.phase.completed:
        upcoming = state.next_time()
        if upcoming is None or (until is not None and upcoming > until):
            if until is not None:
                _wait(max(0.0, until - clock()), stop, sleep)
            break
        if _wait(max(0.0, upcoming - clock()), stop, sleep):
            break
        _notify(state.reconcile(max(clock(), upcoming), take), on_measurement)
    if state.phase.completed:
        return []
    left = incomplete(state)
    if not left:
        state.terminate(clock())
    return left


def _wait(seconds: float, stop: threading.Event | None, sleep: Callable[[float], None]) -> bool:
    """Sleep; True when `stop` was set meanwhile."""
    if stop is not None:
        return stop.wait(seconds)
    sleep(seconds)
    return False
