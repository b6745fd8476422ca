"""Derived resilience figures: time to detect, time to recover, error budget, blast radius.

Pure functions of the SLI series and the window measurements. Detection uses the short-window
series, so a figure carries the lag of that window (`detect_window`, 4 scrapes by default).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from harness.scenario.model import ClientSli, Direction, Phase, RatioSli, SloSpec
from harness.slo.judge import breaches
from harness.slo.model import BlastRadius, Measurement, PhaseWindow, Sample, SloFigures

MOVE_TOLERANCE = 0.5  # moved: lost more than half its baseline headroom to the objective


def _breach_times(
    slo: SloSpec, series: Sequence[Sample], start: float, end: float
) -> list[tuple[float, bool]]:
    return [
        (t, breaches(v, slo.objective, slo.wants))
        for t, v in series
        if start <= t <= end and not math.isnan(v)
    ]


def detect_and_recover(
    slo: SloSpec, series: Sequence[Sample], fault: PhaseWindow, until: float
) -> tuple[float | None, float | None, bool | None, str]:
    """(time to detect, time to recover, recovered, note) from the fault start to `until`."""
    marks = _breach_times(slo, series, fault.start, until)
    first = next((t for t, bad in marks if bad), None)
    if first is None:
        return None, None, None, "never breached after the fault started"
    last_bad = max(t for t, bad in marks if bad)
    back = next((t for t, bad in marks if t > last_bad and not bad), None)
    if back is None:
        return first - fault.start, None, False, "not back within objective by the end"
    note = "back within objective before the fault ended" if back < fault.end else ""
    return first - fault.start, max(0.0, back - fault.end), True, note


def budget_spent(slo: SloSpec, measurements: Sequence[Measurement]) -> float | None:
    """Bad events over allowed bad events across the measured windows (1.0 = all of it)."""
    is_ratio = isinstance(slo.sli, RatioSli) or (
        isinstance(slo.sli, ClientSli) and slo.sli.metric == "error_ratio"
    )
    if not is_ratio:
        return None
    counted = [m for m in measurements if m.good is not None and m.total]
    total = sum(m.total or 0.0 for m in counted)
    if total <= 0:
        return None
    bad = sum((m.total or 0.0) - (m.good or 0.0) for m in counted)
    if isinstance(slo.sli, ClientSli):  # `good` already holds successes; objective is a max
        allowed = slo.objective * total
    else:
        allowed = (1.0 - slo.objective) * total
    if allowed <= 0:
        return math.inf if bad > 0 else 0.0
    return bad / allowed


def moved(slo: SloSpec, baseline: float | None, fault: float | None) -> bool:
    """True when the fault pushed the SLI over its objective or ate most of its headroom."""
    if baseline is None or fault is None or math.isnan(baseline) or math.isnan(fault):
        return False
    if breaches(fault, slo.objective, slo.wants):
        return True
    headroom = abs(slo.objective - baseline)
    toward = baseline - fault if slo.wants is Direction.AT_LEAST else fault - baseline
    return toward > MOVE_TOLERANCE * headroom and toward > 0


def figures(
    slo: SloSpec,
    series: Sequence[Sample],
    windows: Mapping[Phase, PhaseWindow],
    measurements: Sequence[Measurement],
) -> SloFigures:
    by_phase = {m.phase: m for m in measurements}
    base = by_phase.get(Phase.BASELINE)
    fault_m = by_phase.get(Phase.FAULT)
    baseline_value = base.value if base and base.error is None else None
    fault_value = fault_m.value if fault_m and fault_m.error is None else None
    ttd = ttr = None
    recovered: bool | None = None
    note = ""
    fault = windows.get(Phase.FAULT)
    if fault is not None:
        last = windows.get(Phase.RECOVERY, fault).end
        ttd, ttr, recovered, note = detect_and_recover(slo, series, fault, last)
        if not series:
            note = "no series to detect breaches in"
    return SloFigures(
        slo=slo.name,
        service=slo.service,
        time_to_detect=ttd,
        time_to_recover=ttr,
        recovered=recovered,
        error_budget_spent=budget_spent(slo, measurements),
        baseline_value=baseline_value,
        fault_value=fault_value,
        moved=moved(slo, baseline_value, fault_value),
        note=note,
    )


def blast_radius(all_figures: Sequence[SloFigures]) -> BlastRadius:
    hit = [f for f in all_figures if f.moved]
    services = sorted({f.service or f.slo for f in hit})
    return BlastRadius(services=tuple(services), slos=tuple(f.slo for f in hit))
