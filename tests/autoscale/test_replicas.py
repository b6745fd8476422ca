"""One metric's proposal (replica_calculator.go): ratio, tolerance, missing and unready pods."""

from __future__ import annotations

import pytest

from harness.autoscale.replicas import (
    MetricError,
    PodInfo,
    PodState,
    Tolerances,
    average_value_replicas,
    plain_replicas,
    resource_replicas,
    value_replicas,
)
from tests.autoscale.helpers import NOW, per_pod, pod, pods, samples


def cpu(current: int, values: dict[str, int], the_pods: list[PodInfo], target: int = 70) -> int:
    return resource_replicas(
        current, target, "cpu", the_pods, samples(values).values, now=NOW
    ).replicas


class TestRatio:
    def test_desired_is_ceil_of_ratio_times_ready_pods(self) -> None:
        # 3 pods at 100m of a 50m request: 200 % against 70 % -> ceil(2.857 * 3) = 9
        assert cpu(3, per_pod(100, 3), pods(3)) == 9

    def test_scale_down_rounds_up_too(self) -> None:
        # 4 pods at 10m of 50m: 20 % of 70 % -> ceil(0.2857 * 4) = 2
        assert cpu(4, per_pod(10, 4), pods(4)) == 2

    def test_utilisation_is_truncated_to_a_whole_percent_first(self) -> None:
        # 3 pods at 38.5m... in milli-cores 38/39/39 = 116 of 150 -> 77.33 % -> 77 % -> 1.1: keep
        p = resource_replicas(
            3, 70, "cpu", pods(3), samples({"p0": 38, "p1": 39, "p2": 39}).values, now=NOW
        )
        assert (p.current, p.replicas) == (77, 3)

    def test_the_multiplier_is_the_ready_pods_with_metrics_not_spec_replicas(self) -> None:
        # spec says 5, but only 2 pods exist and report: ceil(2 * 140/70) = 4
        assert cpu(5, per_pod(70, 2), pods(2)) == 4


class TestTolerance:
    @pytest.mark.parametrize("milli,expected", [(38, 3), (39, 4)])
    def test_upper_edge_is_inclusive(self, milli: int, expected: int) -> None:
        # 38m/50m = 76 % -> ratio 1.0857 (within); 39m = 78 % -> 1.114 (outside) -> ceil(3.34)
        assert cpu(3, per_pod(milli, 3), pods(3)) == expected

    def test_exactly_ten_percent_over_is_within(self) -> None:
        # 77 % / 70 % == 1.1 exactly: |1 - 1.1| <= 0.1 keeps the count
        assert cpu(10, {f"p{i}": 38 if i < 5 else 39 for i in range(10)}, pods(10)) == 10

    def test_exactly_ten_percent_under_is_within(self) -> None:
        # 63 % / 70 % == 0.9
        values = {f"p{i}": 31 if i < 5 else 32 for i in range(10)}  # 315/500 = 63 %
        assert cpu(10, values, pods(10)) == 10

    def test_per_direction_tolerances(self) -> None:
        values = per_pod(100, 4)  # 100 rps each against 90: ratio 1.111
        p = plain_replicas(
            4,
            90_000,
            pods(4),
            samples({k: v * 1000 for k, v in values.items()}).values,
            now=NOW,
            tolerances=Tolerances(scale_down=0.1, scale_up=0.2),
        )
        assert p.replicas == 4
        p = plain_replicas(
            4,
            90_000,
            pods(4),
            samples({k: v * 1000 for k, v in values.items()}).values,
            now=NOW,
            tolerances=Tolerances(scale_down=0.1, scale_up=0.05),
        )
        assert p.replicas == 5


class TestMissingMetrics:
    def test_on_scale_down_missing_pods_count_as_their_full_request(self) -> None:
        # 3 report 10 % (5m), 1 is missing. Raw ratio 10/70 < 1; refilled: (15 + 50)/200 = 32 %
        # -> ratio 0.457 -> ceil(0.457 * 4) = 2 (and not ceil(0.1428 * 3) = 1)
        the_pods = pods(4)
        assert cpu(4, {"p0": 5, "p1": 5, "p2": 5}, the_pods) == 2

    def test_on_scale_up_missing_pods_count_as_zero(self) -> None:
        # 2 report 200 % (100m), 2 missing -> (200 + 0)/400 = 100 % -> 1.43 -> ceil(1.43 * 4) = 6
        assert cpu(4, {"p0": 100, "p1": 100}, pods(4)) == 6

    def test_no_change_when_the_fill_in_flips_the_direction(self) -> None:
        # 1 of 4 reports 80 % (ratio 1.14 up); filled with 0s: 20 % -> down: keep 4
        assert cpu(4, {"p0": 40}, pods(4)) == 4

    def test_no_change_when_the_fill_in_lands_within_tolerance(self) -> None:
        # 3 at 60 % (0.857 down); 1 missing = 100 %: (90 + 50)/200 = 70 % -> 1.0: keep
        assert cpu(4, {"p0": 30, "p1": 30, "p2": 30}, pods(4)) == 4

    def test_plain_metric_missing_pods_count_as_the_target_on_scale_down(self) -> None:
        # rps 20, 20, 20 and one missing, target 100: (60 + 100)/4 = 40 -> 0.4 -> ceil(1.6) = 2
        p = plain_replicas(
            4, 100_000, pods(4), samples({"p0": 20_000, "p1": 20_000, "p2": 20_000}).values, now=NOW
        )
        assert p.replicas == 2

    def test_no_metric_for_any_pod_is_an_error(self) -> None:
        with pytest.raises(MetricError, match="did not receive metrics"):
            cpu(3, {}, pods(3))

    def test_no_pods_is_an_error(self) -> None:
        with pytest.raises(MetricError, match="no pods returned by selector"):
            cpu(3, {}, [])

    def test_a_pod_without_a_request_is_an_error(self) -> None:
        the_pods = [pod("p0"), pod("p1")]
        the_pods[1] = type(the_pods[1])(
            "p1", PodState.RUNNING, True, start_time=0, ready_changed_at=0, requests={}
        )
        with pytest.raises(MetricError, match="missing request for cpu"):
            cpu(2, per_pod(50, 2), the_pods)


class TestUnreadyPods:
    def test_unready_cpu_pods_count_as_zero_on_scale_up(self) -> None:
        # 2 ready at 200 %, 2 unready (just started, not Ready) -> (200+0)/400 = 100 % -> 6
        the_pods = [
            *pods(2),
            pod("p2", ready=False, started=NOW - 5, ready_since=NOW - 5),
            pod("p3", ready=False, started=NOW - 5, ready_since=NOW - 5),
        ]
        assert cpu(2, per_pod(100, 4), the_pods) == 6

    def test_unready_pods_are_left_out_on_scale_down(self) -> None:
        # ready ones at 10 %; the unready one is ignored, not refilled: ceil(0.143 * 2) = 1
        the_pods = [*pods(2), pod("p2", ready=False, started=NOW - 5, ready_since=NOW - 5)]
        assert cpu(3, per_pod(5, 3), the_pods) == 1

    def test_a_ready_pod_whose_sample_predates_one_window_after_readiness_is_unready(self) -> None:
        # started 60 s ago, Ready 10 s ago, 30 s window: its sample still holds the start-up burst
        young = pod("p1", started=NOW - 60, ready_since=NOW - 10)
        # so it counts as 0 on this scale-up: (200 % + 0)/2 = 100 % -> ceil(1.43 * 2) = 3,
        # not ceil((200 % + 1000 %)/2 / 70 % * 2) = 18
        assert cpu(1, {"p0": 100, "p1": 500}, [pod("p0"), young]) == 3

    def test_pending_pods_count_as_zero_on_scale_up_for_any_metric(self) -> None:
        the_pods = [*pods(2), pod("p2", state=PodState.PENDING, ready=False)]
        p = plain_replicas(
            2, 100_000, the_pods, samples({"p0": 300_000, "p1": 300_000}).values, now=NOW
        )
        # (300 + 300 + 0)/3 = 200 -> ceil(2.0 * 3) = 6
        assert p.replicas == 6

    def test_deleted_and_failed_pods_are_ignored(self) -> None:
        the_pods = [*pods(2), pod("p2", deleting=True), pod("p3", state=PodState.FAILED)]
        assert cpu(2, per_pod(100, 4), the_pods) == 6  # ceil(2.857 * 2)


class TestObjectAndExternal:
    def test_value_target_uses_ready_pods(self) -> None:
        assert value_replicas(3, 300_000, 100_000, 2) == 6

    def test_value_target_from_zero_ignores_tolerance(self) -> None:
        assert value_replicas(0, 105_000, 100_000, 0) == 2

    def test_average_value_is_ceil_total_over_target(self) -> None:
        assert average_value_replicas(3, 1_000_000, 150_000) == (7, 333334)
