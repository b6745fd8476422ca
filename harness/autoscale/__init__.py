"""The HorizontalPodAutoscaler (`autoscaling/v2`), decided as Kubernetes' controller decides it.

Pure: no clock, no I/O. `spec` (the manifest with the API server's defaults), `replicas` (one
metric's proposal, `replica_calculator.go`), `behavior` (stabilisation windows and scaling
policies, `horizontal.go`), `decide` (one reconcile: every metric, min/max, the reason). The
local controller's loop (`harness.cluster.local.hpa_loop`) feeds it pods and Prometheus samples:

    spec = parse_hpa(document.body, document.file)
    decision = decide(spec, History(), now=t, current_replicas=3, pods=pods, samples=samples)
    decision.desired_replicas, decision.reason, [m.text() for m in decision.metrics]
"""

from __future__ import annotations

from harness.autoscale.behavior import History
from harness.autoscale.decide import (
    Condition,
    Decision,
    MetricStatus,
    ObjectSample,
    PodSamples,
    decide,
)
from harness.autoscale.replicas import MetricError, PodInfo, PodMetric, PodState, Tolerances
from harness.autoscale.spec import (
    Behavior,
    HpaSpec,
    MetricSpec,
    MetricTarget,
    PolicyType,
    ScalingPolicy,
    ScalingRules,
    SelectPolicy,
    SourceType,
    TargetType,
    milli,
    parse_hpa,
)

__all__ = [
    "Behavior",
    "Condition",
    "Decision",
    "History",
    "HpaSpec",
    "MetricError",
    "MetricSpec",
    "MetricStatus",
    "MetricTarget",
    "ObjectSample",
    "PodInfo",
    "PodMetric",
    "PodSamples",
    "PodState",
    "PolicyType",
    "ScalingPolicy",
    "ScalingRules",
    "SelectPolicy",
    "SourceType",
    "TargetType",
    "Tolerances",
    "decide",
    "milli",
    "parse_hpa",
]
