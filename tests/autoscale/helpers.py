"""Builders for the HPA arithmetic tests: pods, samples and specs in a line each."""

from __future__ import annotations

from typing import Any

from harness.autoscale import (
    Behavior,
    HpaSpec,
    MetricSpec,
    MetricTarget,
    PodInfo,
    PodMetric,
    PodSamples,
    PodState,
    PolicyType,
    ScalingPolicy,
    ScalingRules,
    SelectPolicy,
    SourceType,
    TargetType,
)

NOW = 10_000.0
CPU_REQUEST = 50  # 50m, as deploy/kubernetes/user-service.yaml asks


def pod(
    name: str,
    *,
    ready: bool = True,
    state: PodState = PodState.RUNNING,
    started: float = NOW - 3600,
    ready_since: float | None = NOW - 3500,
    deleting: bool = False,
    cpu: int = CPU_REQUEST,
    memory: int = 128 * 2**20 * 1000,
) -> PodInfo:
    return PodInfo(
        name,
        state,
        ready,
        deleting=deleting,
        start_time=started,
        ready_changed_at=ready_since,
        requests={"cpu": cpu, "memory": memory},
    )


def pods(n: int, **kw: Any) -> list[PodInfo]:
    return [pod(f"p{i}", **kw) for i in range(n)]


def samples(values: dict[str, int], *, at: float = NOW, window: float = 30.0) -> PodSamples:
    return PodSamples({k: PodMetric(v, at, window) for k, v in values.items()})


def per_pod(milli: int, n: int) -> dict[str, int]:
    return {f"p{i}": milli for i in range(n)}


CPU70 = MetricSpec(SourceType.RESOURCE, "cpu", MetricTarget(TargetType.UTILIZATION, 70))
MEM80 = MetricSpec(SourceType.RESOURCE, "memory", MetricTarget(TargetType.UTILIZATION, 80))
RPS100 = MetricSpec(
    SourceType.PODS,
    "http_requests_per_second",
    MetricTarget(TargetType.AVERAGE_VALUE, value_milli=100_000),
)


def rules(
    *policies: tuple[str, int, int],
    window: int | None = 0,
    select: SelectPolicy = SelectPolicy.MAX,
) -> ScalingRules:
    return ScalingRules(
        window, select, tuple(ScalingPolicy(PolicyType(t), v, p) for t, v, p in policies)
    )


def hpa(
    *metrics: MetricSpec,
    min_replicas: int = 1,
    max_replicas: int = 20,
    up: ScalingRules | None = None,
    down: ScalingRules | None = None,
    legacy: bool = False,
) -> HpaSpec:
    behavior = None
    if not legacy:
        behavior = Behavior(
            up or rules(("Pods", 4, 15), ("Percent", 100, 15)),
            down or rules(("Percent", 100, 15), window=300),
        )
    return HpaSpec(
        "user-service",
        "default",
        "Deployment",
        "user-service",
        "apps/v1",
        min_replicas,
        max_replicas,
        metrics or (CPU70,),
        behavior,
    )
