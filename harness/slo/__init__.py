"""SLO judging: evidence per phase window in, verdicts and resilience figures out.

Pure core (`judge`, `overall`, `analyse`, `resilience`); the only edge is a `PromQLSource`
(`harness.contracts.promql`) handed in by the caller, next to Locust's records
(`harness.contracts.locust`), which the caller reads.
"""

from __future__ import annotations

from harness.slo.evaluate import Evaluation, analyse, check_breach, evaluate, gather, span
from harness.slo.judge import RunOutcome, aborts_on_breach, judge, overall
from harness.slo.measure import measure_series
from harness.slo.model import (
    BlastRadius,
    Measurement,
    NamedSeries,
    PhaseWindow,
    Resilience,
    RunVerdict,
    SloFigures,
    SloVerdict,
    Verdict,
)
from harness.slo.promql import with_window

__all__ = [
    "BlastRadius",
    "Evaluation",
    "Measurement",
    "NamedSeries",
    "PhaseWindow",
    "Resilience",
    "RunOutcome",
    "RunVerdict",
    "SloFigures",
    "SloVerdict",
    "Verdict",
    "aborts_on_breach",
    "analyse",
    "check_breach",
    "evaluate",
    "gather",
    "judge",
    "measure_series",
    "overall",
    "span",
    "with_window",
]
