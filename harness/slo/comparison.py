"""Comparing one SLI's per-second samples with a reference: this run's recovery against its
baseline, or this run against an earlier one. Pure; the numbers come from `harness.slo.shift`.

A difference is *higher* or *lower* only when the test is significant at the configured
confidence and the Hodges-Lehmann shift is at least the minimum effect that matters; a
significant but smaller shift is *no difference*. Too few samples for any interval at that
confidence is its own class, said plainly, never a pass and never a regression.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from statistics import median

from pydantic import BaseModel, ConfigDict

from harness.scenario.model import Direction, MinEffect, Phase, RegressionPolicy
from harness.slo.model import NamedSeries, Sample
from harness.slo.shift import compare, min_samples, thin


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")


class ShiftClass(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"
    NO_DIFFERENCE = "no difference"
    TOO_FEW = "too few samples"


class SampleSeries(_Frozen):
    """Per-second samples of one SLI over a run. `window`: how many seconds each sample covers
    (a rate over 2 s, Locust's 10 s rolling percentile, 1 s for an exact per-second histogram);
    samples closer than that share data, so comparisons test one sample per window."""

    source: str  # prometheus, locust-history, hdr-histogram, report-series (older reports)
    step: float
    window: float
    samples: tuple[Sample, ...] = ()

    def inside(self, start: float, end: float) -> list[Sample]:
        """The samples whose whole window lies in (start, end]."""
        return [(t, v) for t, v in self.samples if start + self.window - 1e-6 <= t <= end + 1e-6]


class SliShift(_Frozen):
    """One SLI in one phase against its reference, and what that means."""

    slo: str
    phase: Phase
    reference_phase: Phase
    unit: str = ""
    direction: Direction
    n: int  # samples tested here (one per window)
    n_reference: int
    block_s: float  # seconds between tested samples (the longer window of the two)
    median: float | None = None
    reference_median: float | None = None
    shift: float | None = None
    low: float | None = None
    high: float | None = None
    p_value: float | None = None
    confidence: float
    min_effect: float  # in the SLI's unit
    result: ShiftClass
    worse: bool = False  # the shift goes against the objective's good side, and matters

    def statement(self) -> str:
        """One line a reader can check: the shift, its interval, the class."""
        unit = f" {self.unit}" if self.unit else ""
        where = f"{self.slo} in {self.phase.value}"
        if self.reference_phase is not self.phase:
            where += f" vs {self.reference_phase.value}"
        if self.result is ShiftClass.TOO_FEW:
            return (
                f"{where}: too few samples ({self.n} and {self.n_reference}, one per "
                f"{self.block_s:g}s; {min_samples(self.confidence)} each are needed at "
                f"{self.confidence:.0%})"
            )
        interval = f"[{_n(self.low)}, {_n(self.high)}]{unit}"
        return (
            f"{where}: {self.result.value}, shift {_n(self.shift, sign=True)}{unit} "
            f"{interval} at {self.confidence:.0%} (p={_n(self.p_value)}, "
            f"minimum effect {_n(self.min_effect)}{unit})"
        )


class Comparison(_Frozen):
    """This run against another (report.json `compared_with`)."""

    run_id: str | None = None  # None: nothing to compare with (see `note`)
    created: float | None = None
    verdict: str | None = None
    basis: str = "last-pass"  # last-pass, a run id, or a name
    note: str = ""
    shifts: tuple[SliShift, ...] = ()
    overlay: dict[str, tuple[NamedSeries, ...]] = {}  # chart key -> the other run's lines


def _n(v: float | None, *, sign: bool = False) -> str:
    if v is None:
        return "-"
    v = 0.0 if abs(v) < 1e-9 else v  # a median of differences like 8.9e-16 is 0
    return f"{v:+.4g}" if sign else f"{v:.4g}"


def effect_threshold(effect: MinEffect, reference: Sequence[float]) -> float:
    """The smallest shift that matters, in the SLI's unit."""
    base = abs(median(reference)) if reference else 0.0
    return max(effect.absolute, effect.relative * base)


def shift_of(
    slo: str,
    phase: Phase,
    current: SampleSeries,
    current_window: tuple[float, float],
    reference: SampleSeries,
    reference_window: tuple[float, float],
    *,
    direction: Direction,
    unit: str,
    confidence: float,
    min_effect: MinEffect,
    reference_phase: Phase | None = None,
) -> SliShift:
    """Compare `current`'s samples in its window with `reference`'s in its own, one sample per
    window (the longer of the two series' windows)."""
    window = max(current.window, reference.window, current.step, reference.step)
    x = thin(current.inside(*current_window), window)
    y = thin(reference.inside(*reference_window), window)
    result = compare(x, y, confidence=confidence)
    threshold = effect_threshold(min_effect, y)
    if not result.judged:
        klass = ShiftClass.TOO_FEW
    elif result.significant and result.shift is not None and abs(result.shift) >= threshold:
        klass = ShiftClass.HIGHER if result.shift > 0 else ShiftClass.LOWER
    else:
        klass = ShiftClass.NO_DIFFERENCE
    bad = ShiftClass.HIGHER if direction is Direction.AT_MOST else ShiftClass.LOWER
    return SliShift(
        slo=slo,
        phase=phase,
        reference_phase=reference_phase or phase,
        unit=unit,
        direction=direction,
        n=len(x),
        n_reference=len(y),
        block_s=window,
        median=float(median(x)) if x else None,
        reference_median=float(median(y)) if y else None,
        shift=result.shift,
        low=result.low,
        high=result.high,
        p_value=result.p_value,
        confidence=confidence,
        min_effect=threshold,
        result=klass,
        worse=klass is bad,
    )


def recovered_statement(shift: SliShift) -> str:
    """ "recovered to baseline" as a measured statement, or why it cannot be said."""
    if shift.result is ShiftClass.TOO_FEW:
        return f"recovery vs baseline not measurable: {shift.statement()}"
    if shift.worse:
        return f"not recovered to baseline: {shift.statement()}"
    return f"recovered to baseline: {shift.statement()}"


def regression_findings(
    policy: RegressionPolicy | None, comparison: Comparison | None
) -> tuple[list[str], list[str]]:
    """(failures, could-not-judge) of `gate.regression` over a recorded comparison.

    A significant shift for the worse of at least the minimum effect fails; nothing to compare
    with, or too few samples, could not be judged only when the policy requires a comparison.
    """
    if policy is None:
        return [], []
    if comparison is None or comparison.run_id is None:
        why = comparison.note if comparison is not None else "no comparison was made"
        return [], ([f"regression gate: {why}"] if policy.require else [])
    wanted = {item.slo: item.phases for item in policy.slis}
    fails: list[str] = []
    unjudged: list[str] = []
    for s in comparison.shifts:
        if wanted and s.phase not in wanted.get(s.slo, ()):
            continue
        if s.worse:
            fails.append(f"regression against {comparison.run_id}: {s.statement()}")
        elif s.result is ShiftClass.TOO_FEW and policy.require:
            unjudged.append(f"regression gate: {s.statement()}")
    return fails, unjudged


__all__ = [
    "Comparison",
    "SampleSeries",
    "ShiftClass",
    "SliShift",
    "effect_threshold",
    "recovered_statement",
    "regression_findings",
    "shift_of",
]
