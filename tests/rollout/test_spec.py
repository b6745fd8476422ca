"""Reading the blue-green strategy: Argo's defaults and one clear problem per wrong field."""

from __future__ import annotations

import pytest

from harness.rollout import AnalysisRef, SpecProblem, blue_green


def test_seed_strategy_with_argos_defaults() -> None:
    bg = blue_green(
        {
            "blueGreen": {
                "activeService": "user-service",
                "previewService": "user-service-preview",
                "autoPromotionEnabled": False,
                "scaleDownDelaySeconds": 30,
                "prePromotionAnalysis": {
                    "templates": [{"templateName": "success-rate"}],
                    "args": [{"name": "service-name", "value": "user-service-preview"}],
                },
            }
        }
    )
    assert bg.pre_promotion == AnalysisRef(
        ("success-rate",), (("service-name", "user-service-preview"),)
    )
    assert bg.needs_controller_pause and bg.scale_down_delay == 30
    assert bg.abort_scale_down_delay == 30 and bg.post_promotion is None


def test_defaults_and_abort_delay_zero_keeps_the_preview() -> None:
    bg = blue_green({"blueGreen": {"activeService": "a", "abortScaleDownDelaySeconds": 0}})
    assert bg.auto_promotion_enabled and not bg.needs_controller_pause
    assert bg.scale_down_delay_seconds is None and bg.scale_down_delay == 30
    assert bg.abort_scale_down_delay is None


@pytest.mark.parametrize(
    ("strategy", "field"),
    [
        ({"canary": {}}, "spec.strategy"),
        ({"blueGreen": {}}, "spec.strategy.blueGreen.activeService"),
        ({"blueGreen": {"activeService": "a", "previewService": "a"}}, "previewService"),
        ({"blueGreen": {"activeService": "a", "scaleDownDelaySeconds": -1}}, "scaleDown"),
        (
            {"blueGreen": {"activeService": "a", "prePromotionAnalysis": {"templates": []}}},
            "prePromotionAnalysis.templates",
        ),
    ],
)
def test_wrong_fields_are_named(strategy: object, field: str) -> None:
    with pytest.raises(SpecProblem) as err:
        blue_green(strategy)
    assert field in err.value.field
