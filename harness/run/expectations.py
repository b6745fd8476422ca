"""The scenario's `expect:` checked after the run, on the evidence Prometheus holds.

An autoscaler expectation reads kube-state-metrics' HPA series over the whole run (warm-up to
the end of recovery) and hands it to the pure check (`harness.autoscale.expect`); a query that
fails is an unmet expectation with the query's error as its reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.autoscale.expect import check_autoscaler, replicas_query
from harness.contracts.promql import PromQLSource
from harness.errors import HarnessError
from harness.report.model import Expectation
from harness.scenario.model import HarnessExtension, Phase
from harness.slo.model import PhaseWindow
from harness.slo.promql import series as range_series

__all__ = ["check_expectations"]


def check_expectations(
    ext: HarnessExtension,
    phases: Sequence[PhaseWindow],
    source: PromQLSource | None,
    *,
    step: float,
) -> list[Expectation]:
    if ext.expect.autoscaler is None or not phases:
        return []
    e = ext.expect.autoscaler
    start = min(p.start for p in phases)
    end = max(p.end for p in phases)
    fault = next((p.start for p in phases if p.phase is Phase.FAULT), end)
    samples: list[tuple[float, float]] = []
    if source is not None:
        try:
            found = range_series(source, replicas_query(e), start, end, step)
        except HarnessError as exc:
            names = [n for n, x in (("scale-out", e.scale_out), ("scale-in", e.scale_in)) if x]
            return [
                Expectation(name=f"autoscaler {e.name} {n}", met=False, reason=str(exc))
                for n in names
            ]
        for s in found:
            samples.extend(s.points)
    return [
        Expectation(name=r.name, met=r.met, reason=r.reason)
        for r in check_autoscaler(e, samples, fault_start=fault, end=end)
    ]
