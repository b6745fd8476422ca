"""The local autoscaler's reading of the manifests and its status rendering (no processes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli.hpa_view import render_autoscalers
from harness.cluster.local.hpa_loop import load_autoscalers
from harness.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]

WORKLOAD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - {name: app, image: x, resources: {requests: {cpu: 100m, memory: 64Mi}}}
        - {name: side, image: y, resources: {requests: {cpu: 50m}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: KIND, name: web}
  maxReplicas: 4
"""


def test_requests_are_summed_over_containers_and_a_missing_one_is_left_out(
    tmp_path: Path,
) -> None:
    (tmp_path / "web.yaml").write_text(WORKLOAD.replace("KIND", "Deployment"))
    [a] = load_autoscalers(tmp_path)
    assert a.spec.key == "default/web" and a.spec.metrics[0].name == "cpu"
    assert a.requests == {"cpu": 150}  # memory: the sidecar sets none, so the metric fails


def test_only_deployments_and_rollouts_are_scaled_locally(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(WORKLOAD.replace("KIND", "StatefulSet"))
    with pytest.raises(ConfigError, match="scales Deployments and Rollouts, not StatefulSet"):
        load_autoscalers(tmp_path)


def test_the_shipped_hpa_targets_user_service_with_its_requests() -> None:
    [a] = load_autoscalers(ROOT / "deploy" / "kubernetes")
    assert (a.spec.target_kind, a.spec.target_name) == ("Rollout", "user-service")
    assert a.requests == {"cpu": 50, "memory": 192 * 2**20 * 1000}


def test_status_lines_say_what_and_why() -> None:
    lines = render_autoscalers(
        [
            {
                "name": "user-service-hpa",
                "target": "Deployment/user-service",
                "minReplicas": 3,
                "maxReplicas": 20,
                "currentReplicas": 3,
                "desiredReplicas": 5,
                "metrics": [
                    {"name": "cpu resource utilization", "current": "210%/70%", "error": ""},
                    {
                        "name": "pods metric http_requests_per_second",
                        "current": "<unknown>/100",
                        "error": "FailedGetPodsMetric: no data",
                    },
                ],
                "lastDecision": {"time": 100.0, "rescale": True, "reason": "cpu above target"},
                "lastScale": {"time": 100.0, "from": 3, "to": 5, "reason": "cpu above target"},
            }
        ],
        now=104.0,
    )
    assert lines[1].split() == ["HPA", "REFERENCE", "TARGETS", "MIN", "MAX", "REPLICAS", "DESIRED"]
    assert "cpu 210%/70%, http_requests_per_second <unknown>/100" in lines[2]
    assert lines[3:] == [
        "  last decision 4s ago: cpu above target",
        "  last scale 4s ago: 3 -> 5 (cpu above target)",
        "  http_requests_per_second: FailedGetPodsMetric: no data",
    ]
    assert render_autoscalers([]) == []
