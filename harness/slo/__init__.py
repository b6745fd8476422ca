"""SLO judging: evidence per phase window in, verdicts and resilience figures out.

Pure core (`judge`, `overall`, `analyse`, `resilience`); the only edge is a `MetricSource`
(Prometheus) and Locust's CSV files, both handed in by the caller.
"""

from __future__ import annotations

from harness.slo.evaluate import Evaluation, analyse, check_breach, evaluate, gather, span
from harness.slo.judge import Outcome, judge, overall
from harness.slo.locust import ClientHistory, LocustSummary, read_history, read_summary
from harness.slo.measure import measure_series
from harness.slo.model import (
    EXIT_CODES,
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
from harness.slo.source import MetricSource, RangeSeries, with_window

__all__ = [
    "EXIT_CODES",
    "BlastRadius",
    "ClientHistory",
    "Evaluation",
    "LocustSummary",
    "Measurement",
    "MetricSource",
    "NamedSeries",
    "Outcome",
    "PhaseWindow",
    "RangeSeries",
    "Resilience",
    "RunVerdict",
    "SloFigures",
    "SloVerdict",
    "Verdict",
    "analyse",
    "check_breach",
    "evaluate",
    "gather",
    "judge",
    "measure_series",
    "overall",
    "read_history",
    "read_summary",
    "span",
    "with_window",
]
