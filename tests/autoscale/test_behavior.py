"""Stabilisation windows and scaling policies (horizontal.go), one reconcile after another."""

from __future__ import annotations

from harness.autoscale import History, SelectPolicy, decide
from harness.autoscale.behavior import History as H
from harness.autoscale.behavior import Recommendation, ScaleEvent, scale_down_limit, scale_up_limit
from harness.autoscale.decide import Decision
from harness.autoscale.spec import HpaSpec
from tests.autoscale.helpers import NOW, RPS100, hpa, per_pod, pods, rules, samples


def rps(spec: HpaSpec, history: History, *, at: float, current: int, each: int) -> Decision:
    """One reconcile where each of `current` pods serves `each` requests per second."""
    return decide(
        spec,
        history,
        now=at,
        current_replicas=current,
        pods=pods(current),
        samples=[samples(per_pod(each * 1000, current), at=at)],
    )


class TestScaleUpPolicies:
    def test_max_picks_the_policy_allowing_the_largest_change(self) -> None:
        # 3 pods at 1000 rps want 30; Pods 4 -> 7, Percent 100 -> 6: Max allows 7
        spec = hpa(RPS100, up=rules(("Pods", 4, 15), ("Percent", 100, 15)))
        d = rps(spec, History(), at=NOW, current=3, each=1000)
        assert (d.proposal, d.desired_replicas) == (30, 7)
        assert d.condition("ScalingLimited").reason == "ScaleUpLimit"

    def test_min_picks_the_policy_allowing_the_smallest_change(self) -> None:
        spec = hpa(RPS100, up=rules(("Pods", 4, 15), ("Percent", 100, 15), select=SelectPolicy.MIN))
        assert rps(spec, History(), at=NOW, current=3, each=1000).desired_replicas == 6

    def test_disabled_forbids_scaling_up(self) -> None:
        spec = hpa(RPS100, up=rules(("Pods", 4, 15), select=SelectPolicy.DISABLED))
        d = rps(spec, History(), at=NOW, current=3, each=1000)
        assert (d.desired_replicas, d.rescale) == (3, False)
        assert "held at 3" in d.reason

    def test_percent_rounds_up(self) -> None:
        # 10 % of 3 is 0.3 pods: ceil(3 * 1.1) = 4, or the target could never grow
        assert scale_up_limit(3, rules(("Percent", 10, 60)), H(), NOW) == 4

    def test_pods_added_within_the_period_use_up_the_allowance(self) -> None:
        spec = hpa(RPS100, up=rules(("Pods", 2, 60)))
        first = rps(spec, History(), at=NOW, current=2, each=1000)
        assert first.desired_replicas == 4
        # 30 s later, still inside the 60 s period: period start is 4 - 2 = 2, limit 2 + 2 = 4
        second = rps(spec, first.history, at=NOW + 30, current=4, each=1000)
        assert (second.desired_replicas, second.rescale) == (4, False)
        # once the period has passed, 2 more
        third = rps(spec, second.history, at=NOW + 61, current=4, each=1000)
        assert third.desired_replicas == 6


class TestScaleDownPolicies:
    def test_percent_truncates(self) -> None:
        # 10 % of 15 = 1.5 pods: int(15 * 0.9) = 13
        assert scale_down_limit(15, rules(("Percent", 10, 60)), H(), NOW) == 13

    def test_pods_policy(self) -> None:
        assert scale_down_limit(10, rules(("Pods", 3, 60)), H(), NOW) == 7

    def test_max_allows_the_larger_drop_min_the_smaller(self) -> None:
        two = (("Pods", 1, 60), ("Percent", 50, 60))
        assert scale_down_limit(10, rules(*two), H(), NOW) == 5
        assert scale_down_limit(10, rules(*two, select=SelectPolicy.MIN), H(), NOW) == 9

    def test_disabled_forbids_scaling_down(self) -> None:
        spec = hpa(RPS100, down=rules(("Percent", 100, 15), window=0, select=SelectPolicy.DISABLED))
        d = rps(spec, History(), at=NOW, current=5, each=1)
        assert (d.desired_replicas, d.rescale) == (5, False)

    def test_pods_removed_within_the_period_count_against_the_limit(self) -> None:
        history = H(scale_down=(ScaleEvent(1, NOW - 30),))
        # 9 now, 1 removed 30 s ago: the period started at 10, 10 % of 10 -> 9: no further drop
        assert scale_down_limit(9, rules(("Percent", 10, 60)), history, NOW) == 9

    def test_seed_policy_ten_percent_a_minute(self) -> None:
        spec = hpa(RPS100, min_replicas=3, down=rules(("Percent", 10, 60), window=0))
        d = rps(spec, History(), at=NOW, current=20, each=1)
        assert d.desired_replicas == 18  # not 3: int(20 * 0.9)


class TestStabilisation:
    def test_scale_down_waits_for_the_window_holding_the_highest_recommendation(self) -> None:
        spec = hpa(RPS100, down=rules(("Percent", 100, 15), window=300))
        history = H(recommendations=(Recommendation(6, NOW - 200),), initialised=True)
        d = rps(spec, history, at=NOW, current=6, each=10)
        assert (d.desired_replicas, d.rescale) == (6, False)
        assert d.condition("AbleToScale").reason == "ScaleDownStabilized"
        # after the window the 6 has aged out: down to what the load needs (1)
        later = rps(spec, d.history, at=NOW + 301, current=6, each=10)
        assert later.desired_replicas == 1

    def test_first_reconcile_remembers_the_current_count(self) -> None:
        # a controller that just started does not scale down at once (recordInitialRecommendation)
        spec = hpa(RPS100, down=rules(("Percent", 100, 15), window=300))
        d = rps(spec, History(), at=NOW, current=4, each=10)
        assert d.desired_replicas == 4

    def test_scale_up_window_takes_the_lowest_recommendation(self) -> None:
        spec = hpa(RPS100, up=rules(("Pods", 10, 15), window=60))
        history = H(recommendations=(Recommendation(3, NOW - 30),), initialised=True)
        d = rps(spec, history, at=NOW, current=2, each=500)  # wants 10
        assert d.desired_replicas == 3
        assert "wanted 10, ScaleUpStabilized" in d.reason

    def test_both_windows_apply_at_once(self) -> None:
        # a flapping load: recommendations 8 and 2 inside both windows hold the count at 4
        spec = hpa(
            RPS100,
            up=rules(("Pods", 10, 15), window=60),
            down=rules(("Percent", 100, 15), window=60),
        )
        history = H(
            recommendations=(Recommendation(8, NOW - 20), Recommendation(2, NOW - 10)),
            initialised=True,
        )
        assert rps(spec, history, at=NOW, current=4, each=300).desired_replicas == 4

    def test_unset_scale_down_window_is_the_controller_default(self) -> None:
        spec = hpa(RPS100, down=rules(("Percent", 100, 15), window=None))
        history = H(recommendations=(Recommendation(6, NOW - 299),), initialised=True)
        assert rps(spec, history, at=NOW, current=6, each=10).desired_replicas == 6
        history = H(recommendations=(Recommendation(6, NOW - 301),), initialised=True)
        assert rps(spec, history, at=NOW, current=6, each=10).desired_replicas == 1


class TestMinMax:
    def test_policies_never_go_past_max(self) -> None:
        spec = hpa(RPS100, max_replicas=5)
        d = rps(spec, History(), at=NOW, current=3, each=1000)
        assert d.desired_replicas == 5
        assert d.condition("ScalingLimited").reason == "TooManyReplicas"

    def test_never_below_min(self) -> None:
        spec = hpa(RPS100, min_replicas=3, down=rules(("Percent", 100, 15), window=0))
        assert rps(spec, History(), at=NOW, current=6, each=1).desired_replicas == 3

    def test_a_target_above_max_goes_to_max_without_metrics(self) -> None:
        spec = hpa(RPS100, max_replicas=4)
        d = rps(spec, History(), at=NOW, current=9, each=1000)
        assert (d.desired_replicas, d.reason) == (
            4,
            "Current number of replicas above Spec.MaxReplicas",
        )

    def test_a_target_below_min_goes_to_min(self) -> None:
        spec = hpa(RPS100, min_replicas=3)
        assert rps(spec, History(), at=NOW, current=1, each=1).desired_replicas == 3

    def test_a_target_at_zero_disables_autoscaling(self) -> None:
        spec = hpa(RPS100, min_replicas=1)
        d = decide(spec, History(), now=NOW, current_replicas=0, pods=[], samples=[samples({})])
        assert (d.desired_replicas, d.rescale) == (0, False)
        assert d.condition("ScalingActive").reason == "ScalingDisabled"


class TestLegacyWithoutBehavior:
    def test_scale_up_at_most_doubles_or_four(self) -> None:
        spec = hpa(RPS100, legacy=True)
        assert rps(spec, History(), at=NOW, current=3, each=1000).desired_replicas == 6
        assert rps(spec, History(), at=NOW, current=1, each=1000).desired_replicas == 4

    def test_scale_down_holds_the_highest_of_five_minutes(self) -> None:
        spec = hpa(RPS100, legacy=True)
        history = H(recommendations=(Recommendation(5, NOW - 100),), initialised=True)
        assert rps(spec, history, at=NOW, current=5, each=10).desired_replicas == 5
