"""`harness validate` on Argo Rollouts: the shipped blue-green Rollout and what breaks one.

The Argo CRD schemas are not committed (fetched upstream files are not; tests/validate/
test_schemas.py uses them when a machine has them): "validates" here means every check
`harness validate` makes, the blue-green joins of harness/validate/rollouts.py included, plus
the local target's own reading of the Rollout (harness.rollout.spec).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from harness.manifests import read_manifests
from harness.mesh.findings import Severity
from harness.rollout.spec import blue_green
from harness.validate.lint import lint

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "deploy" / "kubernetes"
VARIANTS = ROOT / "deploy" / "variants"


def test_every_shipped_object_validates_and_every_kind_is_checked():
    for folder in (SHIPPED, VARIANTS):
        found = lint([folder])
        assert [f.render() for f in found if f.severity is Severity.ERROR] == [], folder
        kinds = {d.kind for d in read_manifests([folder], refuse_non_mappings=True)}
        assert kinds <= {
            "ServiceAccount", "ConfigMap", "Deployment", "Rollout", "Service", "AnalysisTemplate",
            "VirtualService", "DestinationRule", "PeerAuthentication", "AuthorizationPolicy",
            "Secret", "HorizontalPodAutoscaler",
        }  # fmt: skip


def test_the_user_service_rollout_is_the_seeds_blue_green():
    docs = {
        (d.kind, d.body["metadata"]["name"]): d.body
        for d in read_manifests([SHIPPED / "user-service.yaml"], refuse_non_mappings=True)
    }
    rollout = docs[("Rollout", "user-service")]
    bg = blue_green(rollout["spec"]["strategy"])
    assert (bg.active_service, bg.preview_service) == ("user-service", "user-service-preview")
    assert (bg.auto_promotion_enabled, bg.scale_down_delay_seconds) == (False, 30)
    assert bg.pre_promotion is not None and bg.post_promotion is not None
    assert bg.pre_promotion.templates == bg.post_promotion.templates == ("success-rate",)
    assert dict(bg.pre_promotion.args)["service-name"] == "user-service-preview"
    assert dict(bg.post_promotion.args)["service-name"] == "user-service"
    assert ("Service", "user-service-preview") in docs and (
        "Deployment",
        "user-service",
    ) not in docs
    # the selector leaves `version` out: a new revision may carry another one
    assert rollout["spec"]["selector"]["matchLabels"] == {"app": "user-service"}


def _rollout(tmp_path: Path, **blue_green: object) -> Path:
    docs = [
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": "shop"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "shop"}},
                "template": {
                    "metadata": {"labels": {"app": "shop"}},
                    "spec": {"containers": [{"name": "shop", "image": "shop:1"}]},
                },
                "strategy": {"blueGreen": blue_green},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "shop"},
            "spec": {"selector": {"app": "shop"}, "ports": [{"port": 80}]},
        },
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AnalysisTemplate",
            "metadata": {"name": "rate"},
            "spec": {
                "args": [{"name": "service-name"}, {"name": "window", "value": "1m"}],
                "metrics": [
                    {
                        "name": "m",
                        "successCondition": "len(result) > 0 && result[0] >= 0.9",
                        "failureCondition": "len(result) > 0 && result[0] < 0.9",
                        "provider": {"prometheus": {"address": "http://p:9090", "query": "up"}},
                    }
                ],
            },
        },
    ]
    path = tmp_path / "rollout.yaml"
    path.write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    return path


def _rollout_findings(path: Path) -> set[tuple[Severity, str]]:
    return {
        (f.severity, f.field)
        for f in lint([path])
        if f.obj == "Rollout/shop" and f.field.startswith("spec.strategy")
    }


def test_missing_services_templates_and_arguments_are_named(tmp_path: Path):
    path = _rollout(
        tmp_path,
        activeService="shop",
        previewService="shop-preview",
        prePromotionAnalysis={"templates": [{"templateName": "rate"}]},
        postPromotionAnalysis={"templates": [{"templateName": "typo"}]},
    )
    base = "spec.strategy.blueGreen"
    assert _rollout_findings(path) == {
        (Severity.WARNING, f"{base}.previewService"),
        (Severity.ERROR, f"{base}.prePromotionAnalysis.args"),  # service-name not passed
        (Severity.WARNING, f"{base}.postPromotionAnalysis.templates[0].templateName"),
    }
    message = next(f.message for f in lint([path]) if f.field.endswith("Analysis.args"))
    assert "args.service-name was not resolved" in message


def test_a_complete_rollout_has_no_rollout_findings(tmp_path: Path):
    analysis = {"templates": [{"templateName": "rate"}], "args": [{"name": "service-name",
                                                                     "value": "shop"}]}  # fmt: skip
    path = _rollout(tmp_path, activeService="shop", prePromotionAnalysis=analysis)
    assert _rollout_findings(path) == set()
    same = _rollout(tmp_path, activeService="shop", previewService="shop")
    assert _rollout_findings(same) == {(Severity.ERROR, "spec.strategy.blueGreen.previewService")}
