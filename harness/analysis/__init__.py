"""Argo Rollouts analysis, decided exactly as the Argo controller decides it.

Pure core: `conditions` (expr-lang subset → measurement phase), `state` (an AnalysisRun advanced
by measurements under an injected clock), `model` (spec, args, validation). Thin edges:
`source` (Argo's Prometheus provider over the `harness.contracts.promql` source) and `drivers`
(replay over a past window, or live). `harness analyze` and `harness run` both drive it
in-process, handing in a `Connect` (`harness.prometheus.client.Clients`):

    prepared = prepare_checked(load_template(path), {"service-name": "user-service"}, str(path))
    state = AnalysisRunState(prepared)
    replay(state, Clients(), start=t0, end=t1, prometheus="http://127.0.0.1:9090")
    state.phase, state.message, state.results
"""

from __future__ import annotations

from harness.analysis.conditions import ConditionOutcome, evaluate_result
from harness.analysis.drivers import incomplete, replay, run_live
from harness.analysis.loader import load_template, prepare_checked, required_args
from harness.analysis.model import AnalysisSpec, AnalysisTemplate, Metric, SpecError, prepare
from harness.analysis.phase import AnalysisPhase
from harness.analysis.source import QueryRequest, measure
from harness.analysis.state import AnalysisRunState, Measurement, MetricResult

__all__ = [
    "AnalysisPhase",
    "AnalysisRunState",
    "AnalysisSpec",
    "AnalysisTemplate",
    "ConditionOutcome",
    "Measurement",
    "Metric",
    "MetricResult",
    "QueryRequest",
    "SpecError",
    "evaluate_result",
    "incomplete",
    "load_template",
    "measure",
    "prepare",
    "prepare_checked",
    "replay",
    "required_args",
    "run_live",
]
