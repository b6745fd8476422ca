"""Comparisons: a run's recovery against its own baseline, and a run against another one
(by default the last passing run of the same scenario and target before it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import BadInput, HarnessError
from harness.history.index import run_samples
from harness.history.store import RunRow, RunStore
from harness.report.layout import read_report
from harness.report.model import Chart, Report
from harness.scenario.model import (
    JUDGED_PHASES,
    Direction,
    MinEffect,
    Phase,
    RegressionPolicy,
)
from harness.slo.comparison import Comparison, SampleSeries, SliShift, shift_of
from harness.slo.model import NamedSeries, PhaseWindow, Sample

LAST_PASS = "last-pass"


@dataclass(frozen=True)
class SliInfo:
    unit: str
    direction: Direction


@dataclass(frozen=True)
class Evidence:
    """What a comparison needs of one run."""

    run_id: str
    created: float
    verdict: str
    phases: tuple[PhaseWindow, ...]
    samples: Mapping[str, SampleSeries]
    slis: Mapping[str, SliInfo]
    charts: tuple[Chart, ...] = ()
    slo_series: Mapping[str, tuple[Sample, ...]] = field(default_factory=dict)
    policy: RegressionPolicy | None = None  # the run's own gate.regression


def evidence_of(report: Report) -> Evidence:
    return Evidence(
        run_id=report.run_id,
        created=report.created,
        verdict=report.verdict.value,
        phases=report.phases,
        samples=run_samples(report),
        slis={s.name: SliInfo(s.unit, s.wants) for s in report.scenario.harness.slos},
        charts=report.charts,
        slo_series=report.slo_series,
        policy=report.scenario.harness.gate.regression,
    )


def evidence_from_store(store: RunStore, row: RunRow) -> Evidence:
    """From the report folder when it is still there, else from the store alone."""
    if row.folder and (Path(row.folder) / "report.json").is_file():
        try:
            return evidence_of(read_report(Path(row.folder)))
        except HarnessError:
            pass  # an unreadable report: the store still holds the samples
    slis = {
        r["slo"]: SliInfo(r["unit"] or "", Direction(r["direction"] or "at-most"))
        for r in store.slis(row.run_id)
    }
    return Evidence(
        run_id=row.run_id,
        created=row.created,
        verdict=row.verdict,
        phases=tuple(store.phases(row.run_id)),
        samples=store.samples(row.run_id),
        slis=slis,
    )


def _window(phases: Sequence[PhaseWindow], phase: Phase) -> tuple[float, float] | None:
    for p in phases:
        if p.phase is phase:
            return p.start, p.end
    return None


def effect_for(policy: RegressionPolicy, slo: str) -> MinEffect:
    for item in policy.slis:
        if item.slo == slo and item.min_effect is not None:
            return item.min_effect
    return policy.min_effect


def recovery_shifts(run: Evidence, policy: RegressionPolicy | None = None) -> list[SliShift]:
    """Every SLO's recovery samples against its baseline samples, in the same run."""
    policy = policy or RegressionPolicy()
    base, rec = _window(run.phases, Phase.BASELINE), _window(run.phases, Phase.RECOVERY)
    if base is None or rec is None:
        return []
    out = []
    for slo, info in run.slis.items():
        series = run.samples.get(slo)
        if series is None:
            continue
        out.append(
            shift_of(
                slo,
                Phase.RECOVERY,
                series,
                rec,
                series,
                base,
                direction=info.direction,
                unit=info.unit,
                confidence=policy.confidence,
                min_effect=effect_for(policy, slo),
                reference_phase=Phase.BASELINE,
            )
        )
    return out


def _overlay(current: Evidence, other: Evidence) -> dict[str, tuple[NamedSeries, ...]]:
    """The other run's chart lines and SLI series moved onto this run's time axis (the first
    phases' starts aligned), for the lighter lines in report.html."""
    if not current.phases or not other.phases:
        return {}
    offset = current.phases[0].start - other.phases[0].start
    label = f"{other.run_id}"

    def moved(points: Sequence[Sample]) -> tuple[Sample, ...]:
        return tuple((t + offset, v) for t, v in points)

    out: dict[str, tuple[NamedSeries, ...]] = {}
    for chart in other.charts:
        out[chart.key] = tuple(
            NamedSeries(name=f"{s.name} ({label})", samples=moved(s.samples)) for s in chart.series
        )
    for slo, points in other.slo_series.items():
        out[f"slo-{slo}"] = (NamedSeries(name=label, samples=moved(points)),)
    return out


def compare_runs(
    current: Evidence,
    other: Evidence,
    policy: RegressionPolicy | None = None,
    *,
    basis: str = LAST_PASS,
) -> Comparison:
    """Every SLO with samples in both runs, phase by phase: this run against `other` (the
    gate then looks only at the SLIs `gate.regression.slis` names)."""
    policy = policy or RegressionPolicy()
    shifts = []
    for slo, info in current.slis.items():
        mine, theirs = current.samples.get(slo), other.samples.get(slo)
        if mine is None or theirs is None:
            continue
        for phase in JUDGED_PHASES:
            a, b = _window(current.phases, phase), _window(other.phases, phase)
            if a is None or b is None:
                continue
            shifts.append(
                shift_of(
                    slo,
                    phase,
                    mine,
                    a,
                    theirs,
                    b,
                    direction=info.direction,
                    unit=info.unit,
                    confidence=policy.confidence,
                    min_effect=effect_for(policy, slo),
                )
            )
    return Comparison(
        run_id=other.run_id,
        created=other.created,
        verdict=other.verdict,
        basis=basis,
        shifts=tuple(shifts),
        overlay=_overlay(current, other),
    )


def reference_for(
    store: RunStore, *, scenario: str, target: str, before: float, against: str, exclude: str
) -> tuple[RunRow | None, str]:
    """The run to compare with, or None and why not."""
    if against == LAST_PASS:
        row = store.last_pass(scenario, target, before=before)
        if row is None or row.run_id == exclude:
            return None, f"no earlier passing run of {scenario} on {target} to compare with"
        return row, ""
    row = store.get(against)
    if row is None:
        return None, f"no run with id or name {against!r} in {store.path}"
    if row.run_id == exclude:
        return None, f"{against!r} is this run itself"
    return row, ""


def compare_with_history(
    store: RunStore, report: Report, policy: RegressionPolicy | None
) -> Comparison:
    """What `harness run` records in `compared_with`: this run against `against`."""
    policy = policy or RegressionPolicy()
    start = min((p.start for p in report.phases), default=report.created)
    row, note = reference_for(
        store,
        scenario=report.scenario.name,
        target=report.target,
        before=start,
        against=policy.against,
        exclude=report.run_id,
    )
    if row is None:
        return Comparison(basis=policy.against, note=note)
    return compare_runs(
        evidence_of(report), evidence_from_store(store, row), policy, basis=policy.against
    )


def resolve_pair(
    store: RunStore, first: str | None, second: str | None
) -> tuple[RunRow, RunRow | None, str]:
    """`harness compare [RUN [RUN]]`: (this run, the other or None, why none)."""
    if first is None:
        latest = store.runs(limit=1)
        if not latest:
            raise BadInput(f"{store.path}: no runs indexed yet (run `harness run` first)")
        current = latest[0]
    else:
        found = store.get(first)
        if found is None:
            raise BadInput(f"{first}: no run with that id or name (see `harness history`)")
        current = found
    if second is not None:
        other = store.get(second)
        if other is None:
            raise BadInput(f"{second}: no run with that id or name (see `harness history`)")
        return current, other, ""
    row, note = reference_for(
        store,
        scenario=current.scenario,
        target=current.target,
        before=current.started,
        against=LAST_PASS,
        exclude=current.run_id,
    )
    return current, row, note


__all__ = [
    "LAST_PASS",
    "Evidence",
    "compare_runs",
    "compare_with_history",
    "evidence_from_store",
    "evidence_of",
    "recovery_shifts",
    "reference_for",
    "resolve_pair",
]
