"""One reconcile over several metrics: the largest proposal wins, failed metrics never shrink."""

from __future__ import annotations

from harness.autoscale import History, MetricError, decide
from tests.autoscale.helpers import CPU70, MEM80, NOW, RPS100, hpa, per_pod, pods, samples

MIB = 2**20 * 1000  # one MiB in milli-bytes


def test_the_largest_metric_proposal_wins_and_names_itself() -> None:
    spec = hpa(CPU70, MEM80, RPS100)
    d = decide(
        spec,
        History(),
        now=NOW,
        current_replicas=3,
        pods=pods(3),
        samples=[
            samples(per_pod(35, 3)),  # 70 %: within tolerance -> 3
            samples(per_pod(64 * MIB, 3)),  # 50 % of 128Mi -> 2
            samples(per_pod(180_000, 3)),  # 180 rps against 100 -> ceil(1.8 * 3) = 6
        ],
    )
    assert [m.proposal for m in d.metrics] == [3, 2, 6]
    assert [m.text() for m in d.metrics] == ["70%/70%", "50%/80%", "180/100"]
    assert d.desired_replicas == 6
    assert d.reason == "pods metric http_requests_per_second above target"


def test_a_failed_metric_does_not_stop_a_scale_up() -> None:
    spec = hpa(CPU70, RPS100)
    d = decide(
        spec,
        History(),
        now=NOW,
        current_replicas=2,
        pods=pods(2),
        samples=[MetricError("FailedGetResourceMetric", "no data"), samples(per_pod(300_000, 2))],
    )
    assert d.desired_replicas == 6
    assert d.metrics[0].text() == "<unknown>/70%"


def test_a_failed_metric_stops_a_scale_down() -> None:
    spec = hpa(CPU70, RPS100, down=None)
    history = History(initialised=True)
    d = decide(
        spec,
        history,
        now=NOW,
        current_replicas=4,
        pods=pods(4),
        samples=[MetricError("FailedGetResourceMetric", "no data"), samples(per_pod(1_000, 4))],
    )
    assert (d.desired_replicas, d.rescale) == (4, False)
    assert d.reason.startswith("invalid metrics (1 invalid out of 2), first error is: no data")
    assert d.condition("ScalingActive").status is False


def test_every_metric_failed_changes_nothing() -> None:
    spec = hpa(CPU70)
    d = decide(
        spec,
        History(),
        now=NOW,
        current_replicas=3,
        pods=pods(3),
        samples=[samples({})],  # no pod reported
    )
    assert (d.desired_replicas, d.rescale) == (3, False)
    assert "did not receive metrics" in d.reason
    assert d.condition("ScalingActive").reason == "FailedGetResourceMetric"


def test_every_metric_within_tolerance_says_so() -> None:
    spec = hpa(RPS100)
    d = decide(
        spec,
        History(),
        now=NOW,
        current_replicas=3,
        pods=pods(3),
        samples=[samples(per_pod(105_000, 3))],
    )
    assert (d.rescale, d.reason) == (False, "every metric within tolerance of its target")


def test_history_carries_from_one_reconcile_to_the_next() -> None:
    spec = hpa(RPS100)
    d1 = decide(
        spec,
        History(),
        now=NOW,
        current_replicas=2,
        pods=pods(2),
        samples=[samples(per_pod(400_000, 2))],
    )
    assert d1.desired_replicas == 6  # Pods 4 -> 6, Percent 100 -> 4: Max 6 (wants 8)
    assert d1.reason == "pods metric http_requests_per_second above target (wanted 8, ScaleUpLimit)"
    d2 = decide(
        spec,
        d1.history,
        now=NOW + 15.5,
        current_replicas=6,
        pods=pods(6),
        samples=[samples(per_pod(134_000, 6))],
    )
    assert d2.desired_replicas == 9  # wants ceil(1.34 * 6) = 9; the 15 s period has passed
