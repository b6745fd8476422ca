"""`harness validate` on HorizontalPodAutoscalers: the seed's dangling target, missing requests."""

from __future__ import annotations

from pathlib import Path

from harness.mesh.findings import Severity
from harness.validate.lint import lint

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: user-service}
spec:
  selector: {matchLabels: {app: user-service}}
  template:
    metadata: {labels: {app: user-service}}
    spec:
      containers:
        - name: user-service
          image: harness/user-service:1
          resources: {requests: {memory: 192Mi}}
"""


def _hpa(target: str, metrics: str, behavior: str = "") -> str:
    return f"""\
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: user-service-hpa}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: {target}}}
  minReplicas: 3
  maxReplicas: 20
  metrics: {metrics}
{behavior}"""


CPU = (
    "[{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]"
)


def _errors(tmp_path: Path, text: str) -> set[tuple[str, str]]:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    return {
        (f.field, f.message)
        for f in lint([path])
        if f.severity is Severity.ERROR and f.obj.startswith("HorizontalPodAutoscaler")
    }


def test_the_seeds_target_names_nothing(tmp_path: Path) -> None:
    text = DEPLOYMENT + _hpa("Rollout, name: user-service-rollout", CPU)
    [(field, message)] = _errors(tmp_path, text)
    assert field == "spec.scaleTargetRef"
    assert "no Rollout 'user-service-rollout'" in message and "FailedGetScale" in message


def test_utilisation_needs_the_request_on_every_container(tmp_path: Path) -> None:
    [(field, message)] = _errors(tmp_path, DEPLOYMENT + _hpa("Deployment, name: user-service", CPU))
    assert field == "spec.metrics[0].resource"
    assert "requests no cpu" in message and "missing request for cpu" in message


def test_a_bad_field_is_named(tmp_path: Path) -> None:
    behavior = "  behavior: {scaleUp: {selectPolicy: Fastest}}\n"
    text = DEPLOYMENT + _hpa("Deployment, name: user-service", "[]", behavior)
    assert _errors(tmp_path, text) == {
        ("spec.behavior.scaleUp.selectPolicy", "must be Max, Min or Disabled")
    }


def test_a_complete_hpa_is_clean(tmp_path: Path) -> None:
    text = DEPLOYMENT.replace("{memory: 192Mi}", "{cpu: 50m, memory: 192Mi}")
    assert _errors(tmp_path, text + _hpa("Deployment, name: user-service", CPU)) == set()
