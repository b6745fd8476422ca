"""One metric's replica proposal, as Kubernetes' `replica_calculator.go` computes it.

Values are integers in milli-units (`Quantity.MilliValue()`), and the integer divisions of
`metrics/utilization.go` are kept: utilisation is `sum(usage) * 100 // sum(requests)` percent,
an average is `sum // count`, so a proposal lands on the same side of a `ceil` as on a cluster.

The pod bookkeeping (`groupPods`): deleted and failed pods are ignored; pending pods are
"unready"; a running pod without a sample is "missing"; for CPU a pod is also "unready" while
it is not Ready, or within `cpu_initialization` of its start before one metric window has passed
since it turned Ready. Missing pods count as 100 % of the request (plain metrics: the target)
when the others say scale down, 0 % when they say scale up; unready pods count as 0 % on a
scale-up; and if that flips the direction or lands within tolerance, the replica count stays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CPU_INITIALIZATION_PERIOD",
    "INITIAL_READINESS_DELAY",
    "MetricError",
    "PodInfo",
    "PodMetric",
    "PodState",
    "Proposal",
    "Tolerances",
    "average_value_replicas",
    "plain_replicas",
    "resource_replicas",
    "value_replicas",
]

CPU_INITIALIZATION_PERIOD = 300.0  # --horizontal-pod-autoscaler-cpu-initialization-period
INITIAL_READINESS_DELAY = 30.0  # --horizontal-pod-autoscaler-initial-readiness-delay


class PodState(StrEnum):
    PENDING = "Pending"
    RUNNING = "Running"
    FAILED = "Failed"


@dataclass(frozen=True)
class PodInfo:
    """A pod the scale target selects, as the HPA's pod lister sees it."""

    name: str
    state: PodState
    ready: bool
    deleting: bool = False
    start_time: float | None = None  # status.startTime
    ready_changed_at: float | None = None  # the Ready condition's lastTransitionTime
    requests: Mapping[str, int] | None = None  # resource -> milli-units (None: not set)


@dataclass(frozen=True)
class PodMetric:
    value: int  # milli-units
    timestamp: float
    window: float  # seconds the sample averages over


class MetricError(Exception):
    """Raised when a metric cannot give a proposal; `reason` is the HPA condition's reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Tolerances:
    """`|1 - ratio|` within these keeps the replica count (inclusive at both ends)."""

    scale_down: float = 0.1
    scale_up: float = 0.1

    def within(self, ratio: float) -> bool:
        return (1.0 - self.scale_down) <= ratio <= (1.0 + self.scale_up)


@dataclass(frozen=True)
class Proposal:
    replicas: int
    current: int  # utilisation percent, or the average in milli-units
    raw_average: int | None = None  # Utilization targets: the average usage per pod (milli)
    ready_pods: int = 0
    missing_pods: int = 0
    unready_pods: int = 0


def _group(
    pods: Sequence[PodInfo],
    metrics: Mapping[str, PodMetric],
    resource: str,
    now: float,
    cpu_initialization: float,
    readiness_delay: float,
) -> tuple[int, set[str], set[str], set[str]]:
    ready_count = 0
    unready: set[str] = set()
    missing: set[str] = set()
    ignored: set[str] = set()
    for pod in pods:
        if pod.deleting or pod.state is PodState.FAILED:
            ignored.add(pod.name)
            continue
        if pod.state is PodState.PENDING:
            unready.add(pod.name)
            continue
        metric = metrics.get(pod.name)
        if metric is None:
            missing.add(pod.name)
            continue
        if resource == "cpu":
            if pod.ready_changed_at is None or pod.start_time is None:
                is_unready = True
            elif pod.start_time + cpu_initialization > now:
                # still initialising: unready, or no full window since it turned Ready
                is_unready = (not pod.ready) or (
                    metric.timestamp < pod.ready_changed_at + metric.window
                )
            else:
                # unready and never ready since its start
                is_unready = (not pod.ready) and (
                    pod.start_time + readiness_delay > pod.ready_changed_at
                )
            if is_unready:
                unready.add(pod.name)
                continue
        ready_count += 1
    return ready_count, unready, missing, ignored


def _utilization(
    metrics: Mapping[str, int], requests: Mapping[str, int], target: int
) -> tuple[float, int, int]:
    total = sum(v for p, v in metrics.items() if p in requests)
    request_total = sum(requests[p] for p in metrics if p in requests)
    entities = sum(1 for p in metrics if p in requests)
    if request_total == 0:
        raise MetricError("FailedGetResourceMetric", "no metrics returned matched known pods")
    current = (total * 100) // request_total
    return current / target, current, total // entities


def _average(metrics: Mapping[str, int], target: int) -> tuple[float, int]:
    current = sum(metrics.values()) // len(metrics)
    return current / target, current


def resource_replicas(
    current_replicas: int,
    target_utilization: int,
    resource: str,
    pods: Sequence[PodInfo],
    metrics: Mapping[str, PodMetric],
    *,
    now: float,
    tolerances: Tolerances = Tolerances(),
    cpu_initialization: float = CPU_INITIALIZATION_PERIOD,
    readiness_delay: float = INITIAL_READINESS_DELAY,
) -> Proposal:
    """`GetResourceReplicas`: a Resource metric with an Utilization target."""
    if not pods:
        raise MetricError(
            "FailedGetResourceMetric",
            "no pods returned by selector while calculating replica count",
        )
    ready, unready, missing, ignored = _group(
        pods, metrics, resource, now, cpu_initialization, readiness_delay
    )
    names = {p.name for p in pods}
    values = {p: m.value for p, m in metrics.items() if p in names and p not in ignored | unready}
    if not values:
        raise MetricError(
            "FailedGetResourceMetric",
            f"unable to get metrics for resource {resource}: "
            "did not receive metrics for targeted pods (pods might be unready)",
        )
    requests: dict[str, int] = {}
    for pod in pods:
        request = (pod.requests or {}).get(resource)
        if request is None:
            raise MetricError(
                "FailedGetResourceMetric", f"missing request for {resource} in Pod {pod.name}"
            )
        requests[pod.name] = request
    ratio, utilization, raw = _utilization(values, requests, target_utilization)

    def proposal(replicas: int) -> Proposal:
        return Proposal(replicas, utilization, raw, ready, len(missing), len(unready))

    scale_up_with_unready = bool(unready) and ratio > 1.0
    if not scale_up_with_unready and not missing:
        if tolerances.within(ratio):
            return proposal(current_replicas)
        return proposal(math.ceil(ratio * ready))
    if missing:
        if ratio < 1.0:
            fallback = max(100, target_utilization)
            for name in missing:
                values[name] = requests[name] * fallback // 100
        elif ratio > 1.0:
            for name in missing:
                values[name] = 0
    if scale_up_with_unready:
        for name in unready:
            values[name] = 0
    new_ratio, _, _ = _utilization(values, requests, target_utilization)
    return proposal(_rebalanced(current_replicas, ratio, new_ratio, len(values), tolerances))


def plain_replicas(
    current_replicas: int,
    target_milli: int,
    pods: Sequence[PodInfo],
    metrics: Mapping[str, PodMetric],
    *,
    now: float,
    resource: str = "",
    tolerances: Tolerances = Tolerances(),
    cpu_initialization: float = CPU_INITIALIZATION_PERIOD,
    readiness_delay: float = INITIAL_READINESS_DELAY,
) -> Proposal:
    """`calcPlainMetricReplicas`: a Pods metric, or a Resource metric with an AverageValue."""
    if not pods:
        raise MetricError(
            "FailedGetPodsMetric", "no pods returned by selector while calculating replica count"
        )
    ready, unready, missing, ignored = _group(
        pods, metrics, resource, now, cpu_initialization, readiness_delay
    )
    names = {p.name for p in pods}
    values = {p: m.value for p, m in metrics.items() if p in names and p not in ignored | unready}
    if not values:
        raise MetricError(
            "FailedGetPodsMetric",
            "did not receive metrics for targeted pods (pods might be unready)",
        )
    ratio, usage = _average(values, target_milli)

    def proposal(replicas: int) -> Proposal:
        return Proposal(replicas, usage, None, ready, len(missing), len(unready))

    scale_up_with_unready = bool(unready) and ratio > 1.0
    if not scale_up_with_unready and not missing:
        if tolerances.within(ratio):
            return proposal(current_replicas)
        return proposal(math.ceil(ratio * ready))
    if missing:
        if ratio < 1.0:
            for name in missing:
                values[name] = target_milli  # exactly the target
        elif ratio > 1.0:
            for name in missing:
                values[name] = 0
    if scale_up_with_unready:
        for name in unready:
            values[name] = 0
    new_ratio, _ = _average(values, target_milli)
    return proposal(_rebalanced(current_replicas, ratio, new_ratio, len(values), tolerances))


def _rebalanced(current: int, ratio: float, new_ratio: float, counted: int, tol: Tolerances) -> int:
    """The second pass once missing/unready pods were filled in: no flip of direction."""
    if (
        tol.within(new_ratio)
        or (ratio < 1.0 and new_ratio > 1.0)
        or (ratio > 1.0 and new_ratio < 1.0)
    ):
        return current
    replicas = math.ceil(new_ratio * counted)
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current  # the count of pods considered would flip the direction
    return replicas


def value_replicas(
    current_replicas: int,
    usage_milli: int,
    target_milli: int,
    ready_pods: int,
    *,
    tolerances: Tolerances = Tolerances(),
) -> int:
    """`getUsageRatioReplicaCount`: an Object or External metric with a Value target."""
    ratio = usage_milli / target_milli
    if current_replicas == 0:
        return math.ceil(ratio)  # scale from zero ignores tolerance and readiness
    if tolerances.within(ratio):
        return current_replicas
    return math.ceil(ratio * ready_pods)


def average_value_replicas(
    status_replicas: int,
    usage_milli: int,
    target_milli: int,
    *,
    tolerances: Tolerances = Tolerances(),
) -> tuple[int, int]:
    """Object/External with an AverageValue target: `ceil(total / target)`; (replicas, avg)."""
    replicas = status_replicas
    ratio = usage_milli / (target_milli * status_replicas) if status_replicas else math.inf
    if not tolerances.within(ratio):
        replicas = math.ceil(usage_milli / target_milli)
    average = math.ceil(usage_milli / status_replicas) if status_replicas else usage_milli
    return replicas, average
