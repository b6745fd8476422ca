"""One reconcile of one HPA (`reconcileAutoscaler`): metrics in, a decision with its reason out.

    decision = decide(spec, history, now=t, current_replicas=3, pods=pods, samples=samples)
    decision.desired_replicas, decision.reason, decision.metrics, decision.history

`samples[i]` answers `spec.metrics[i]`: per-pod values (`PodSamples`) for Resource/Pods
metrics, one total (`ObjectSample`) for Object/External, or a `MetricError` when it could not be
had. The rules, in the controller's order (semantics.md 7.2):

* the target at 0 replicas with minReplicas > 0: autoscaling is disabled, nothing changes;
* outside [minReplicas, maxReplicas]: straight to the bound (no metrics read);
* else each metric proposes a count and the largest wins; when every metric failed, or some
  failed and the rest would scale down, nothing changes (`invalid metrics (n invalid out of m)`);
* then `behavior.normalize` (windows, policies, min/max) or its legacy form without behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from harness.autoscale import behavior as b
from harness.autoscale.replicas import (
    CPU_INITIALIZATION_PERIOD,
    INITIAL_READINESS_DELAY,
    MetricError,
    PodInfo,
    PodMetric,
    PodState,
    Tolerances,
    average_value_replicas,
    plain_replicas,
    resource_replicas,
    value_replicas,
)
from harness.autoscale.spec import (
    DEFAULT_DOWNSCALE_WINDOW,
    DEFAULT_TOLERANCE,
    HpaSpec,
    MetricSpec,
    SourceType,
    TargetType,
)

__all__ = ["Condition", "Decision", "MetricStatus", "ObjectSample", "PodSamples", "decide"]


@dataclass(frozen=True)
class PodSamples:
    values: Mapping[str, PodMetric]


@dataclass(frozen=True)
class ObjectSample:
    value: int  # milli-units


Sample = PodSamples | ObjectSample | MetricError


@dataclass(frozen=True)
class Condition:
    type: str  # AbleToScale | ScalingActive | ScalingLimited
    status: bool
    reason: str
    message: str


@dataclass(frozen=True)
class MetricStatus:
    """One metric against its target, as `kubectl describe hpa` prints it."""

    metric: MetricSpec
    current: int | None  # percent (Utilization) or milli-units
    proposal: int | None  # the replica count this metric asked for
    error: str = ""

    def text(self) -> str:
        """`70%/80%`, `12/100`, `<unknown>/100`."""
        t = self.metric.target
        if t.type is TargetType.UTILIZATION:
            now = "<unknown>" if self.current is None else f"{self.current}%"
            return f"{now}/{t.utilization}%"
        target = _quantity(t.value_milli or 0, self.metric.name)
        now = "<unknown>" if self.current is None else _quantity(self.current, self.metric.name)
        return f"{now}/{target}"


def _quantity(value_milli: int, name: str) -> str:
    if name == "memory":
        mib = value_milli / 1000 / 2**20
        return f"{mib:.0f}Mi" if mib >= 1 else f"{value_milli // 1000}"
    if value_milli % 1000 == 0:
        return str(value_milli // 1000)
    return f"{value_milli}m"


@dataclass(frozen=True)
class Decision:
    at: float
    current_replicas: int
    desired_replicas: int  # what the target is set to (current when not rescaling)
    rescale: bool
    reason: str  # why it rescaled, or why not
    metrics: tuple[MetricStatus, ...]
    conditions: tuple[Condition, ...]
    history: b.History = field(repr=False)
    proposal: int | None = None  # the largest metric proposal before normalisation

    def condition(self, type_: str) -> Condition:
        """The condition of that type (AbleToScale, ScalingActive, ScalingLimited)."""
        for c in self.conditions:
            if c.type == type_:
                return c
        raise LookupError(f"no {type_} condition")


def _ready_pods(pods: Sequence[PodInfo]) -> int:
    return sum(1 for p in pods if p.state is PodState.RUNNING and p.ready)


def _one_metric(
    spec: MetricSpec,
    sample: Sample,
    *,
    spec_replicas: int,
    status_replicas: int,
    pods: Sequence[PodInfo],
    now: float,
    tolerances: Tolerances,
    cpu_initialization: float,
    readiness_delay: float,
) -> MetricStatus:
    if isinstance(sample, MetricError):
        return MetricStatus(spec, None, None, f"{sample.reason}: {sample.message}")
    try:
        if spec.type in (SourceType.RESOURCE, SourceType.CONTAINER_RESOURCE, SourceType.PODS):
            if not isinstance(sample, PodSamples):
                raise MetricError("FailedGetPodsMetric", "expected per-pod values")
            resource = spec.name if spec.type is not SourceType.PODS else ""
            if spec.target.type is TargetType.UTILIZATION:
                p = resource_replicas(
                    spec_replicas,
                    spec.target.utilization or 0,
                    resource,
                    pods,
                    sample.values,
                    now=now,
                    tolerances=tolerances,
                    cpu_initialization=cpu_initialization,
                    readiness_delay=readiness_delay,
                )
            else:
                p = plain_replicas(
                    spec_replicas,
                    spec.target.value_milli or 0,
                    pods,
                    sample.values,
                    now=now,
                    resource=resource,
                    tolerances=tolerances,
                    cpu_initialization=cpu_initialization,
                    readiness_delay=readiness_delay,
                )
            return MetricStatus(spec, p.current, p.replicas)
        if not isinstance(sample, ObjectSample):
            raise MetricError("FailedGetObjectMetric", "expected one value")
        target = spec.target.value_milli or 0
        if spec.target.type is TargetType.VALUE:
            replicas = value_replicas(
                spec_replicas, sample.value, target, _ready_pods(pods), tolerances=tolerances
            )
            return MetricStatus(spec, sample.value, replicas)
        replicas, average = average_value_replicas(
            status_replicas, sample.value, target, tolerances=tolerances
        )
        return MetricStatus(spec, average, replicas)
    except MetricError as exc:
        return MetricStatus(spec, None, None, f"{exc.reason}: {exc.message}")


def _tolerances(spec: HpaSpec, default: float) -> Tolerances:
    if spec.behavior is None:
        return Tolerances(default, default)
    down, up = spec.behavior.scale_down.tolerance, spec.behavior.scale_up.tolerance
    return Tolerances(default if down is None else down, default if up is None else up)


def decide(
    spec: HpaSpec,
    history: b.History,
    *,
    now: float,
    current_replicas: int,
    pods: Sequence[PodInfo],
    samples: Sequence[Sample],
    status_replicas: int | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    downscale_window: int = DEFAULT_DOWNSCALE_WINDOW,
    cpu_initialization: float = CPU_INITIALIZATION_PERIOD,
    readiness_delay: float = INITIAL_READINESS_DELAY,
) -> Decision:
    """One reconcile; `history` is what the previous reconciles of this HPA returned."""
    if len(samples) != len(spec.metrics):
        raise ValueError("one sample per metric of the spec")
    history = b.record_initial(history, current_replicas, now)
    status_replicas = len(pods) if status_replicas is None else status_replicas
    conditions: list[Condition] = [
        Condition(
            "AbleToScale",
            True,
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
        )
    ]
    statuses: tuple[MetricStatus, ...] = ()

    def done(desired: int, rescale: bool, reason: str, proposal: int | None = None) -> Decision:
        nonlocal history
        if rescale:
            conditions.append(
                Condition(
                    "AbleToScale",
                    True,
                    "SucceededRescale",
                    f"the HPA controller was able to update the target scale to {desired}",
                )
            )
        if rescale and spec.behavior is not None:
            history = b.store_scale_event(
                history,
                current_replicas,
                desired,
                scale_up=spec.behavior.scale_up,
                scale_down=spec.behavior.scale_down,
                now=now,
            )
        return Decision(
            now,
            current_replicas,
            desired if rescale else current_replicas,
            rescale,
            reason,
            statuses,
            _merge(conditions),
            history,
            proposal,
        )

    if current_replicas == 0 and spec.min_replicas != 0:
        conditions.append(
            Condition(
                "ScalingActive",
                False,
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
            )
        )
        return done(0, False, "scaling is disabled since the replica count of the target is zero")
    if current_replicas > spec.max_replicas:
        return done(spec.max_replicas, True, "Current number of replicas above Spec.MaxReplicas")
    if current_replicas < spec.min_replicas:
        return done(spec.min_replicas, True, "Current number of replicas below Spec.MinReplicas")

    statuses = tuple(
        _one_metric(
            m,
            s,
            spec_replicas=current_replicas,
            status_replicas=status_replicas,
            pods=pods,
            now=now,
            tolerances=_tolerances(spec, tolerance),
            cpu_initialization=cpu_initialization,
            readiness_delay=readiness_delay,
        )
        for m, s in zip(spec.metrics, samples, strict=True)
    )
    proposal, proposer = 0, ""
    for st in statuses:
        if st.proposal is not None and (proposal == 0 or st.proposal > proposal):
            proposal, proposer = st.proposal, st.metric.label
    invalid = [st for st in statuses if st.proposal is None]
    if len(invalid) == len(statuses) or (invalid and proposal < current_replicas):
        first = invalid[0].error
        reason, _, message = first.partition(": ")
        conditions.append(
            Condition(
                "ScalingActive",
                False,
                reason,
                f"the HPA was unable to compute the replica count: {message}",
            )
        )
        why = (
            f"invalid metrics ({len(invalid)} invalid out of {len(statuses)}), "
            f"first error is: {message}"
        )
        return done(current_replicas, False, why)
    conditions.append(
        Condition(
            "ScalingActive",
            True,
            "ValidMetricFound",
            f"the HPA was able to successfully calculate a replica count from {proposer}",
        )
    )
    desired = proposal
    if desired > current_replicas:
        reason = f"{proposer} above target"
    elif desired < current_replicas:
        reason = "All metrics below target"
    else:
        reason = "every metric within tolerance of its target"
    if spec.behavior is None:
        limited = b.legacy_normalize(
            current=current_replicas,
            desired=desired,
            min_replicas=spec.min_replicas,
            max_replicas=spec.max_replicas,
            history=history,
            now=now,
            downscale_window=downscale_window,
        )
    else:
        limited = b.normalize(
            current=current_replicas,
            desired=desired,
            min_replicas=spec.min_replicas,
            max_replicas=spec.max_replicas,
            scale_up=spec.behavior.scale_up,
            scale_down=spec.behavior.scale_down,
            history=history,
            now=now,
            downscale_window=downscale_window,
        )
    history = limited.history
    conditions.append(Condition("AbleToScale", True, limited.able_reason, limited.able_message))
    conditions.append(
        Condition("ScalingLimited", limited.limited, limited.limit_reason, limited.limit_message)
    )
    rescale = limited.replicas != current_replicas
    if not rescale and desired != current_replicas:
        # the windows or the policies held it: say which, it is what a user asks first
        held = (
            limited.able_reason if limited.stabilized == current_replicas else limited.limit_reason
        )
        reason = f"{reason}, held at {current_replicas}: {held}"
    elif rescale and limited.replicas != desired:
        why = limited.limit_reason if limited.limited else limited.able_reason
        reason = f"{reason} (wanted {desired}, {why})"
    return done(limited.replicas, rescale, reason, proposal)


def _merge(conditions: list[Condition]) -> tuple[Condition, ...]:
    """Like `setCondition`: a later condition of the same type replaces the earlier one."""
    out: dict[str, Condition] = {}
    for c in conditions:
        out[c.type] = c
    return tuple(out.values())
