"""Did the autoscaler do what the scenario expects? A pure check of its replica series.

The series is kube-state-metrics' `kube_horizontalpodautoscaler_status_desired_replicas` for
the HPA over the run (the local controller exports the same name), so the check reads the same
evidence on both targets. Every answer carries its reason, met or not:

    met, reason = check_autoscaler(expectation, samples, fault_start=t1, end=t2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.scenario.model import AutoscalerExpectation

__all__ = ["ExpectationResult", "check_autoscaler", "replicas_query"]


@dataclass(frozen=True)
class ExpectationResult:
    name: str  # "autoscaler user-service-hpa scale-out"
    met: bool
    reason: str


def replicas_query(e: AutoscalerExpectation) -> str:
    return (
        "max(kube_horizontalpodautoscaler_status_desired_replicas{"
        f'namespace="{e.namespace}",horizontalpodautoscaler="{e.name}"}})'
    )


def _fmt(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:.1f}s"


def check_autoscaler(
    e: AutoscalerExpectation,
    samples: Sequence[tuple[float, float]],
    *,
    fault_start: float,
    end: float,
) -> list[ExpectationResult]:
    """One result per expectation given (scale-out, scale-in), in that order."""
    label = f"autoscaler {e.name}"
    points = sorted((t, int(v)) for t, v in samples if v == v)  # NaN: no value at that step
    out: list[ExpectationResult] = []
    if not points:
        reason = f"no replica count for HPA {e.namespace}/{e.name} in Prometheus during the run"
        if e.scale_out is not None:
            out.append(ExpectationResult(f"{label} scale-out", False, reason))
        if e.scale_in is not None:
            out.append(ExpectationResult(f"{label} scale-in", False, reason))
        return out
    before = [v for t, v in points if t <= fault_start]
    start_count = before[-1] if before else points[0][1]
    peak_t, peak = max(points, key=lambda p: (p[1], -p[0]))
    if e.scale_out is not None:
        so = e.scale_out
        deadline = end if so.within is None else fault_start + so.within
        reached = next((t for t, v in points if t >= fault_start and v >= so.to), None)
        if reached is not None and reached <= deadline:
            out.append(
                ExpectationResult(
                    f"{label} scale-out",
                    True,
                    f"{start_count} -> {so.to}+ replicas {_fmt(reached - fault_start)} after "
                    f"the spike began (peak {peak})",
                )
            )
        else:
            when = "by the end of the run" if so.within is None else f"within {_fmt(so.within)}"
            late = "" if reached is None else f" (reached only {_fmt(reached - fault_start)} in)"
            out.append(
                ExpectationResult(
                    f"{label} scale-out",
                    False,
                    f"expected at least {so.to} replicas {when} of the spike, got at most "
                    f"{max((v for t, v in points if t <= deadline), default=peak)}{late}",
                )
            )
    if e.scale_in is not None:
        last = points[-1][1]
        met = last <= e.scale_in.to
        after = [t for t, v in points if t > peak_t and v <= e.scale_in.to]
        if met:
            back = (
                f" {_fmt(after[0] - peak_t)} after the peak of {peak}"
                if after and peak > last
                else ""
            )
            reason = f"back to {last} replicas{back}"
        else:
            reason = (
                f"expected at most {e.scale_in.to} replicas by the end of the run, still "
                f"{last} (peak {peak}): the scale-down window or policy had not let it shrink"
            )
        out.append(ExpectationResult(f"{label} scale-in", met, reason))
    return out
