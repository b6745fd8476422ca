"""Reading the HPA manifest: the seed's spec, the API server's defaults, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.autoscale import PolicyType, SelectPolicy, SourceType, TargetType, milli, parse_hpa
from harness.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def _doc(**spec: object) -> dict[str, object]:
    base: dict[str, object] = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "user-service"},
        "maxReplicas": 5,
    }
    base.update(spec)
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "h"},
        "spec": base,
    }


def test_the_shipped_manifest_is_the_seeds_intent() -> None:
    docs = yaml.safe_load_all((ROOT / "deploy/kubernetes/user-service-hpa.yaml").read_text())
    body = next(d for d in docs if d and d.get("kind") == "HorizontalPodAutoscaler")
    spec = parse_hpa(body, "user-service-hpa.yaml")
    assert (spec.min_replicas, spec.max_replicas) == (3, 20)
    assert [(m.type, m.name, m.target.type) for m in spec.metrics] == [
        (SourceType.RESOURCE, "cpu", TargetType.UTILIZATION),
        (SourceType.RESOURCE, "memory", TargetType.UTILIZATION),
        (SourceType.PODS, "http_requests_per_second", TargetType.AVERAGE_VALUE),
    ]
    assert spec.metrics[2].target.value_milli == 100_000
    assert spec.behavior is not None
    assert spec.behavior.scale_down.stabilization_window_seconds == 300
    assert [(p.type, p.value, p.period_seconds) for p in spec.behavior.scale_down.policies] == [
        (PolicyType.PERCENT, 10, 60)
    ]
    assert spec.behavior.scale_up.select_policy is SelectPolicy.MAX


def test_defaults_no_metrics_is_cpu_80_and_min_one() -> None:
    spec = parse_hpa(_doc())
    assert spec.min_replicas == 1
    assert [(m.name, m.target.utilization) for m in spec.metrics] == [("cpu", 80)]
    assert spec.behavior is None  # the legacy rules


def test_a_partial_behavior_is_filled_from_the_default_rules() -> None:
    spec = parse_hpa(_doc(behavior={"scaleDown": {"stabilizationWindowSeconds": 60}}))
    assert spec.behavior is not None
    up, down = spec.behavior.scale_up, spec.behavior.scale_down
    assert up.stabilization_window_seconds == 0
    assert [(p.type, p.value, p.period_seconds) for p in up.policies] == [
        (PolicyType.PODS, 4, 15),
        (PolicyType.PERCENT, 100, 15),
    ]
    assert down.stabilization_window_seconds == 60
    assert [(p.type, p.value) for p in down.policies] == [(PolicyType.PERCENT, 100)]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("100", 100_000),
        ("50m", 50),
        ("128Mi", 128 * 2**20 * 1000),
        ("1.5", 1500),
        ("1k", 10**6),
        (2, 2000),
    ],
)
def test_quantities_are_milli_values(text: object, expected: int) -> None:
    assert milli(text) == expected


@pytest.mark.parametrize(
    "spec,field",
    [
        ({"maxReplicas": 0}, "spec.maxReplicas"),
        ({"minReplicas": 6}, "spec.maxReplicas"),
        (
            {
                "metrics": [
                    {
                        "type": "Pods",
                        "pods": {
                            "metric": {"name": "x"},
                            "target": {"type": "Utilization", "averageUtilization": 5},
                        },
                    }
                ]
            },
            "spec.metrics[0].pods.target.type",
        ),
        (
            {
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "gpu",
                            "target": {"type": "Utilization", "averageUtilization": 5},
                        },
                    }
                ]
            },
            "spec.metrics[0].resource.name",
        ),
        (
            {"behavior": {"scaleUp": {"selectPolicy": "Fastest"}}},
            "spec.behavior.scaleUp.selectPolicy",
        ),
        (
            {
                "behavior": {
                    "scaleUp": {"policies": [{"type": "Pods", "value": 0, "periodSeconds": 15}]}
                }
            },
            "spec.behavior.scaleUp.policies[0].value",
        ),
    ],
)
def test_errors_name_the_field(spec: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_hpa(_doc(**spec), "hpa.yaml")
    assert info.value.field == f"HorizontalPodAutoscaler h: {field}"
