"""Where the local autoscaler's metrics come from: Prometheus, asked what the adapters ask.

On a cluster the HPA reads `metrics.k8s.io` (metrics-server, or prometheus-adapter's resource
rules over cAdvisor) for CPU and memory, and `custom.metrics.k8s.io` (prometheus-adapter) for
Pods metrics. Locally the controller asks the stack's Prometheus the same questions:

* cpu: `sum by (pod) (rate(container_cpu_usage_seconds_total{...}[15s]))` (cores),
* memory: `sum by (pod) (container_memory_working_set_bytes{...})` (bytes),
* a Pods metric `<name>_per_second`: `sum by (pod) (rate(<name>_total{...}[15s]))`, the rule of
  deploy/kubernetes/optional/prometheus-adapter-rules.yaml (any other name: the series itself),

each for the namespace and the named pods of the scale target, containers only (`container!=""`
and not the pause container, so the same query works against a kubelet). Values are converted
to the milli-units the arithmetic uses. Object and External metrics have no source here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from harness.autoscale import (
    MetricError,
    MetricSpec,
    ObjectSample,
    PodMetric,
    PodSamples,
    SourceType,
)
from harness.contracts.promql import Vector
from harness.prometheus.client import PrometheusClient, QueryFailed

__all__ = ["RATE_WINDOW", "fetch", "query_for"]

# seconds a rate() averages over (metrics-server's default resolution); the sample's `window`
RATE_WINDOW = 15.0

Sample = PodSamples | ObjectSample | MetricError


def _matchers(namespace: str, pods: Sequence[str], extra: Sequence[tuple[str, str]]) -> str:
    # pod names are DNS labels ([a-z0-9-]), safe inside a regex alternation
    parts = [f'namespace="{namespace}"', f'pod=~"{"|".join(pods)}"']
    parts += [f'{k}="{v}"' for k, v in extra]
    return ",".join(parts)


def query_for(metric: MetricSpec, namespace: str, pods: Sequence[str]) -> str:
    """The PromQL that answers `metric` for these pods, one series per pod."""
    window = f"{RATE_WINDOW:g}s"
    if metric.type in (SourceType.RESOURCE, SourceType.CONTAINER_RESOURCE):
        container = [("container", metric.container)] if metric.container else []
        m = _matchers(namespace, pods, container)
        m += ',container!="",container!="POD"'
        if metric.name == "cpu":
            return f"sum by (pod) (rate(container_cpu_usage_seconds_total{{{m}}}[{window}]))"
        return f"sum by (pod) (container_memory_working_set_bytes{{{m}}})"
    m = _matchers(namespace, pods, metric.selector)
    if metric.name.endswith("_per_second"):
        series = metric.name[: -len("_per_second")] + "_total"
        return f"sum by (pod) (rate({series}{{{m}}}[{window}]))"
    return f"sum by (pod) ({metric.name}{{{m}}})"


def _reason(metric: MetricSpec) -> str:
    if metric.type is SourceType.PODS:
        return "FailedGetPodsMetric"
    return "FailedGetResourceMetric"


def fetch(
    client: PrometheusClient | None,
    metric: MetricSpec,
    namespace: str,
    pods: Sequence[str],
) -> Sample:
    """One metric's per-pod samples (milli-units), or the MetricError the HPA would report."""
    if metric.type in (SourceType.OBJECT, SourceType.EXTERNAL):
        return MetricError(
            f"FailedGet{metric.type}Metric",
            f"the local target has no metrics adapter for {metric.type} metrics",
        )
    if client is None:
        return MetricError(_reason(metric), "no Prometheus in this stack (--no-prometheus)")
    if not pods:
        return PodSamples({})
    try:
        response = client.instant(query_for(metric, namespace, pods), timeout=5.0)
    except QueryFailed as exc:
        return MetricError(_reason(metric), f"unable to get metric {metric.name}: {exc}")
    if not isinstance(response.value, Vector):
        return MetricError(_reason(metric), f"unexpected result for {metric.name}")
    values: dict[str, PodMetric] = {}
    for s in response.value.samples:
        pod = s.labels.get("pod")
        if pod is None or math.isnan(s.value):  # no rate yet
            continue
        values[pod] = PodMetric(round(s.value * 1000), s.time, RATE_WINDOW)
    return PodSamples(values)
