"""What judging produces: windows, measurements, verdicts and resilience figures.

Pydantic (frozen) rather than dataclasses because every one of these lands in report.json and
must come back from it unchanged for `harness gate`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import ExitCode
from harness.scenario.model import Direction, Phase


class _Frozen(BaseModel):
    # NaN and infinities are evidence (0/0, a quantile in the +Inf bucket): keep them as strings
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")


class Verdict(StrEnum):
    """The verdict of one SLO in one window. No data is never `passed`."""

    PASSED = "passed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"


class RunVerdict(StrEnum):
    """The verdict of a whole run; `exit_code` is what `harness run` and `gate` exit with."""

    PASSED = "passed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"
    ABORTED = "aborted"
    INTERRUPTED = "interrupted"

    @property
    def exit_code(self) -> ExitCode:
        return _EXIT_CODES[self]


_EXIT_CODES = {
    RunVerdict.PASSED: ExitCode.PASSED,
    RunVerdict.FAILED: ExitCode.FAILED,
    RunVerdict.ABORTED: ExitCode.FAILED,  # an abort on breach: a failed SLO that stopped early
    RunVerdict.INCONCLUSIVE: ExitCode.COULD_NOT_JUDGE,
    RunVerdict.INTERRUPTED: ExitCode.INTERRUPTED,
}


class PhaseWindow(_Frozen):
    """One phase as it happened, in Unix seconds; like PromQL ranges it covers (start, end]."""

    phase: Phase
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


Sample = tuple[float, float]


class Measurement(_Frozen):
    """The evidence for one SLO in one window, as gathered; `judge` turns it into a verdict.

    `value` is the SLI over the whole window (None: no data). `numerator`/`denominator` are the
    bad-or-good and total counts of ratio SLIs. `points` and `last_sample_at` describe the
    short-window series inside the window (for staleness), `error` a query that failed.
    """

    slo: str
    phase: Phase
    start: float
    end: float
    query: str
    value: float | None = None
    good: float | None = None
    total: float | None = None
    points: int = 0
    last_sample_at: float | None = None
    stale_after: float = 0.0  # stale when the last point is older than this before `end`
    min_window: float = 0.0  # shorter windows cannot be judged (4 scrape intervals)
    error: str | None = None


class SloVerdict(_Frozen):
    """One SLO judged in one window, with everything a reader needs to check it."""

    slo: str
    service: str | None = None
    phase: Phase
    verdict: Verdict
    objective: float
    direction: Direction
    unit: str = ""
    value: float | None
    query: str
    reason: str
    start: float
    end: float


class SloFigures(_Frozen):
    """Resilience figures of one SLO over the run (seconds; None when not applicable)."""

    slo: str
    service: str | None = None
    time_to_detect: float | None = None  # fault start -> first breach
    time_to_recover: float | None = None  # fault end -> back within objective for good
    recovered: bool | None = None  # None when it never breached
    error_budget_spent: float | None = None  # 1.0 = the whole budget of the judged windows
    baseline_value: float | None = None
    fault_value: float | None = None
    moved: bool = False
    note: str = ""


class BlastRadius(_Frozen):
    """Which services had an SLO move between baseline and fault."""

    services: tuple[str, ...] = ()
    slos: tuple[str, ...] = ()


class Resilience(_Frozen):
    figures: tuple[SloFigures, ...] = ()
    blast_radius: BlastRadius = Field(default_factory=BlastRadius)


class NamedSeries(_Frozen):
    """One line of a chart: a label and (t, value) samples."""

    name: str
    samples: tuple[Sample, ...] = ()
