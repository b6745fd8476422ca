"""Stabilisation windows and scaling policies, as Kubernetes' `horizontal.go` applies them.

The controller remembers, per HPA, every recommendation of the stabilisation windows and every
scale event of the longest policy period; that memory is `History` here, handed in and returned
(no clock is read: `now` is an argument). With `behavior` (`normalizeDesiredReplicasWithBehaviors`):

1. stabilise: the recommendation is held between the **lowest** recommendation of the scale-up
   window and the **highest** of the scale-down window (both windows apply at once);
2. rate-limit: each policy allows, from `periodStart = current - added + removed` within its
   period, `Pods` ± value or `Percent` (up `ceil(start * (1 + v/100))`, down
   `int(start * (1 - v/100))`); `selectPolicy` Max takes the policy allowing the largest change,
   Min the smallest, Disabled forbids the direction;
3. clamp to [minReplicas, maxReplicas].

Without `behavior` (`normalizeDesiredReplicas`): the scale-down window only (the controller's
flag, 300 s), a scale-up limit of `max(2 * current, 4)`, then min/max.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from harness.autoscale.spec import PolicyType, ScalingRules, SelectPolicy

__all__ = [
    "History",
    "Limited",
    "Recommendation",
    "ScaleEvent",
    "legacy_normalize",
    "normalize",
    "record_initial",
    "store_scale_event",
]


@dataclass(frozen=True)
class Recommendation:
    replicas: int
    at: float


@dataclass(frozen=True)
class ScaleEvent:
    change: int  # always positive: pods added (scale_up) or removed (scale_down)
    at: float


@dataclass(frozen=True)
class History:
    recommendations: tuple[Recommendation, ...] = ()
    scale_up: tuple[ScaleEvent, ...] = ()
    scale_down: tuple[ScaleEvent, ...] = ()
    initialised: bool = False


@dataclass(frozen=True)
class Limited:
    """The outcome of normalisation with the two HPA conditions it sets."""

    replicas: int
    stabilized: int  # the recommendation after the windows, before the rate limits
    able_reason: str  # AbleToScale: ReadyForNewScale | ScaleUpStabilized | ScaleDownStabilized
    able_message: str
    limited: bool  # ScalingLimited True/False
    limit_reason: str  # DesiredWithinRange | ScaleUpLimit | ScaleDownLimit | TooMany/FewReplicas
    limit_message: str
    history: History


def record_initial(history: History, current: int, now: float) -> History:
    """`recordInitialRecommendation`: the first reconcile remembers the current count."""
    if history.initialised:
        return history
    return replace(history, recommendations=(Recommendation(current, now),), initialised=True)


def _changed_within(events: tuple[ScaleEvent, ...], period: int, now: float) -> int:
    cutoff = now - period
    return sum(e.change for e in events if e.at > cutoff)


def _period_start(current: int, period: int, history: History, now: float) -> int:
    added = _changed_within(history.scale_up, period, now)
    removed = _changed_within(history.scale_down, period, now)
    return current - added + removed


def scale_up_limit(current: int, rules: ScalingRules, history: History, now: float) -> int:
    """`calculateScaleUpLimitWithScalingRules`."""
    if rules.select_policy is SelectPolicy.DISABLED:
        return current
    proposals = []
    for p in rules.policies:
        start = _period_start(current, p.period_seconds, history, now)
        if p.type is PolicyType.PODS:
            proposals.append(start + p.value)
        else:  # rounded up, or a small target would never grow
            proposals.append(math.ceil(start * (1 + p.value / 100)))
    pick = min if rules.select_policy is SelectPolicy.MIN else max
    return pick(proposals)


def scale_down_limit(current: int, rules: ScalingRules, history: History, now: float) -> int:
    """`calculateScaleDownLimitWithBehaviors`."""
    if rules.select_policy is SelectPolicy.DISABLED:
        return current
    proposals = []
    for p in rules.policies:
        start = _period_start(current, p.period_seconds, history, now)
        if p.type is PolicyType.PODS:
            proposals.append(start - p.value)
        else:  # Go's int32(float) truncates
            proposals.append(int(start * (1 - p.value / 100)))
    # the smallest change down is the largest remaining count
    pick = max if rules.select_policy is SelectPolicy.MIN else min
    return pick(proposals)


def _remember(history: History, desired: int, now: float, keep_after: float) -> History:
    """Record the unstabilised recommendation; samples older than every window go."""
    kept = tuple(r for r in history.recommendations if r.at >= keep_after)
    return replace(history, recommendations=(*kept, Recommendation(desired, now)))


def normalize(
    *,
    current: int,
    desired: int,
    min_replicas: int,
    max_replicas: int,
    scale_up: ScalingRules,
    scale_down: ScalingRules,
    history: History,
    now: float,
    downscale_window: int = 300,
) -> Limited:
    """`normalizeDesiredReplicasWithBehaviors`: windows, then policies, then min/max."""
    up_window = scale_up.stabilization_window_seconds
    up_window = downscale_window if up_window is None else up_window
    down_window = scale_down.stabilization_window_seconds
    down_window = downscale_window if down_window is None else down_window
    up_cutoff, down_cutoff = now - up_window, now - down_window
    up_rec, down_rec = desired, desired
    for rec in history.recommendations:
        if rec.at > up_cutoff:
            up_rec = min(rec.replicas, up_rec)
        if rec.at > down_cutoff:
            down_rec = max(rec.replicas, down_rec)
    stabilized = min(max(current, up_rec), down_rec)
    history = _remember(history, desired, now, min(up_cutoff, down_cutoff))
    if stabilized != desired:
        if desired >= current:
            able = (
                "ScaleUpStabilized",
                "recent recommendations were lower than current one, "
                "applying the lowest recent recommendation",
            )
        else:
            able = (
                "ScaleDownStabilized",
                "recent recommendations were higher than current one, "
                "applying the highest recent recommendation",
            )
    else:
        able = ("ReadyForNewScale", "recommended size matches current size")

    replicas = stabilized
    reason, message = "DesiredWithinRange", "the desired count is within the acceptable range"
    if stabilized > current:
        limit = max(scale_up_limit(current, scale_up, history, now), current)
        if max_replicas > limit:
            allowed, why = (
                limit,
                (
                    "ScaleUpLimit",
                    "the desired replica count is increasing faster than the maximum scale rate",
                ),
            )
        else:
            allowed, why = (
                max_replicas,
                (
                    "TooManyReplicas",
                    "the desired replica count is more than the maximum replica count",
                ),
            )
        if stabilized > allowed:
            replicas, (reason, message) = allowed, why
    elif stabilized < current:
        limit = min(scale_down_limit(current, scale_down, history, now), current)
        if min_replicas < limit:
            allowed, why = (
                limit,
                (
                    "ScaleDownLimit",
                    "the desired replica count is decreasing faster than the maximum scale rate",
                ),
            )
        else:
            allowed, why = (
                min_replicas,
                (
                    "TooFewReplicas",
                    "the desired replica count is less than the minimum replica count",
                ),
            )
        if stabilized < allowed:
            replicas, (reason, message) = allowed, why
    return Limited(replicas, stabilized, *able, replicas != stabilized, reason, message, history)


def legacy_normalize(
    *,
    current: int,
    desired: int,
    min_replicas: int,
    max_replicas: int,
    history: History,
    now: float,
    downscale_window: int = 300,
) -> Limited:
    """`normalizeDesiredReplicas` (no `behavior`): the highest recommendation of the window."""
    cutoff = now - downscale_window
    stabilized = max([desired, *(r.replicas for r in history.recommendations if r.at >= cutoff)])
    history = _remember(history, desired, now, cutoff)
    if stabilized != desired:
        able = (
            "ScaleDownStabilized",
            "recent recommendations were higher than current one, "
            "applying the highest recent recommendation",
        )
    else:
        able = ("ReadyForNewScale", "recommended size matches current size")
    up_limit = int(max(2.0 * current, 4.0))
    if max_replicas > up_limit:
        maximum, why = (
            up_limit,
            (
                "ScaleUpLimit",
                "the desired replica count is increasing faster than the maximum scale rate",
            ),
        )
    else:
        maximum, why = (
            max_replicas,
            (
                "TooManyReplicas",
                "the desired replica count is more than the maximum replica count",
            ),
        )
    replicas = stabilized
    reason, message = "DesiredWithinRange", "the desired count is within the acceptable range"
    if stabilized < min_replicas:
        replicas, reason = min_replicas, "TooFewReplicas"
        message = "the desired replica count is less than the minimum replica count"
    elif stabilized > maximum:
        replicas, (reason, message) = maximum, why
    return Limited(replicas, stabilized, *able, replicas != stabilized, reason, message, history)


def store_scale_event(
    history: History,
    previous: int,
    new: int,
    *,
    scale_up: ScalingRules,
    scale_down: ScalingRules,
    now: float,
) -> History:
    """`storeScaleEvent`: remember a rescale; events past the longest period are dropped."""
    if new > previous:
        keep = now - scale_up.longest_period
        events = tuple(e for e in history.scale_up if e.at >= keep)
        return replace(history, scale_up=(*events, ScaleEvent(new - previous, now)))
    keep = now - scale_down.longest_period
    events = tuple(e for e in history.scale_down if e.at >= keep)
    return replace(history, scale_down=(*events, ScaleEvent(previous - new, now)))
