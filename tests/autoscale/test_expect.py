"""The scenario's `expect: {autoscaler: ...}` judged on a replica series (pure)."""

from __future__ import annotations

from harness.autoscale.expect import check_autoscaler, replicas_query
from harness.scenario.model import AutoscalerExpectation

SPIKE = 100.0
E = AutoscalerExpectation.model_validate(
    {"name": "user-service-hpa", "scale_out": {"to": 5, "within": "30s"}, "scale_in": {"to": 3}}
)


def series(*points: tuple[float, int]) -> list[tuple[float, float]]:
    return [(t, float(v)) for t, v in points]


def test_scaled_out_in_time_and_back_in() -> None:
    s = series((90, 3), (100, 3), (112, 7), (125, 9), (170, 5), (185, 3), (200, 3))
    out, back = check_autoscaler(E, s, fault_start=SPIKE, end=200)
    assert out.met and out.reason == "3 -> 5+ replicas 12s after the spike began (peak 9)"
    assert back.met and back.reason == "back to 3 replicas 60s after the peak of 9"


def test_too_slow_says_when_it_got_there() -> None:
    s = series((100, 3), (120, 4), (140, 6), (200, 3))
    out, _ = check_autoscaler(E, s, fault_start=SPIKE, end=200)
    assert not out.met
    assert out.reason == (
        "expected at least 5 replicas within 30s of the spike, got at most 4 (reached only 40s in)"
    )


def test_never_scaled_in_says_what_held_it() -> None:
    s = series((100, 3), (110, 6), (200, 6))
    _, back = check_autoscaler(E, s, fault_start=SPIKE, end=200)
    assert not back.met and back.reason.startswith("expected at most 3 replicas by the end")


def test_no_data_fails_both_with_the_reason() -> None:
    results = check_autoscaler(E, [], fault_start=SPIKE, end=200)
    assert [r.met for r in results] == [False, False]
    assert "no replica count for HPA default/user-service-hpa" in results[0].reason


def test_the_query_reads_kube_state_metrics_names() -> None:
    assert replicas_query(E) == (
        "max(kube_horizontalpodautoscaler_status_desired_replicas{"
        'namespace="default",horizontalpodautoscaler="user-service-hpa"})'
    )
