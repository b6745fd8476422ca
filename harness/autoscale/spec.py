"""The `autoscaling/v2` HorizontalPodAutoscaler spec, with the API server's defaults applied.

Only what the controller's arithmetic reads: the scale target, min/max, the metrics (Resource
cpu/memory, Pods, Object, External) and the behaviour. Defaults are those of Kubernetes'
`pkg/apis/autoscaling/v2/defaults.go` (semantics.md 7.2): minReplicas 1, one CPU metric at
80 % when none is given, and, once `behavior` is present, every missing rule filled from the
default rules. `parse_hpa` reads one manifest document (a mapping, no I/O) and names the field
of anything wrong in a `ConfigError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from harness.errors import ConfigError

__all__ = [
    "DEFAULT_SCALE_DOWN",
    "DEFAULT_SCALE_UP",
    "Behavior",
    "HpaSpec",
    "MetricSpec",
    "MetricTarget",
    "PolicyType",
    "ScalingPolicy",
    "ScalingRules",
    "SelectPolicy",
    "SourceType",
    "TargetType",
    "milli",
    "parse_hpa",
]

DEFAULT_TOLERANCE = 0.1  # --horizontal-pod-autoscaler-tolerance
DEFAULT_DOWNSCALE_WINDOW = 300  # --horizontal-pod-autoscaler-downscale-stabilization (s)
DEFAULT_CPU_UTILIZATION = 80  # autoscaling.DefaultCPUUtilization, when spec.metrics is empty


class SourceType(StrEnum):
    RESOURCE = "Resource"
    PODS = "Pods"
    OBJECT = "Object"
    EXTERNAL = "External"
    CONTAINER_RESOURCE = "ContainerResource"


class TargetType(StrEnum):
    UTILIZATION = "Utilization"
    AVERAGE_VALUE = "AverageValue"
    VALUE = "Value"


class PolicyType(StrEnum):
    PODS = "Pods"
    PERCENT = "Percent"


class SelectPolicy(StrEnum):
    MAX = "Max"
    MIN = "Min"
    DISABLED = "Disabled"


@dataclass(frozen=True)
class MetricTarget:
    type: TargetType
    utilization: int | None = None  # percent of the request (Utilization)
    value_milli: int | None = None  # Value or AverageValue, in milli-units as the controller


@dataclass(frozen=True)
class MetricSpec:
    type: SourceType
    name: str  # resource name (cpu, memory) or the custom metric's name
    target: MetricTarget
    container: str = ""  # ContainerResource only
    selector: tuple[tuple[str, str], ...] = ()  # metric.selector.matchLabels

    @property
    def label(self) -> str:
        """How status lines and reasons name the metric ("cpu resource utilization ...")."""
        if self.type in (SourceType.RESOURCE, SourceType.CONTAINER_RESOURCE):
            what = "utilization" if self.target.type is TargetType.UTILIZATION else "usage"
            return f"{self.name} resource {what}"
        return f"{self.type.lower()} metric {self.name}"


@dataclass(frozen=True)
class ScalingPolicy:
    type: PolicyType
    value: int
    period_seconds: int


@dataclass(frozen=True)
class ScalingRules:
    stabilization_window_seconds: int | None  # None: the controller's downscale flag (300 s)
    select_policy: SelectPolicy
    policies: tuple[ScalingPolicy, ...]
    tolerance: float | None = None  # newer API versions: per-direction tolerance

    @property
    def longest_period(self) -> int:
        return max((p.period_seconds for p in self.policies), default=0)


DEFAULT_SCALE_UP = ScalingRules(
    stabilization_window_seconds=0,
    select_policy=SelectPolicy.MAX,
    policies=(ScalingPolicy(PolicyType.PODS, 4, 15), ScalingPolicy(PolicyType.PERCENT, 100, 15)),
)
DEFAULT_SCALE_DOWN = ScalingRules(
    stabilization_window_seconds=None,
    select_policy=SelectPolicy.MAX,
    policies=(ScalingPolicy(PolicyType.PERCENT, 100, 15),),
)


@dataclass(frozen=True)
class Behavior:
    scale_up: ScalingRules
    scale_down: ScalingRules


@dataclass(frozen=True)
class HpaSpec:
    name: str
    namespace: str
    target_kind: str
    target_name: str
    target_api_version: str
    min_replicas: int
    max_replicas: int
    metrics: tuple[MetricSpec, ...]
    behavior: Behavior | None  # None: the legacy rules (no `behavior` in the manifest)
    source: str = ""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")
_SUFFIX = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}


def milli(quantity: object) -> int:
    """A Kubernetes quantity ("100", "50m", "128Mi", 1.5) in milli-units, rounded up.

    `resource.Quantity.MilliValue()` rounds up, and the controller compares milli-values.
    Raises ValueError on anything that is not a quantity.
    """
    if isinstance(quantity, bool):
        raise ValueError(f"not a quantity: {quantity!r}")
    text = str(quantity).strip()
    m = _QUANTITY.match(text)
    if m is None or m.group(2) not in _SUFFIX:
        raise ValueError(f"not a quantity: {quantity!r}")
    try:
        number = Decimal(m.group(1))
    except InvalidOperation as exc:
        raise ValueError(f"not a quantity: {quantity!r}") from exc
    scaled = number * _SUFFIX[m.group(2)] * 1000
    return int(scaled.to_integral_value(rounding=ROUND_CEILING))


class _Reader:
    def __init__(self, file: str, name: str) -> None:
        self.file, self.name = file, name

    def error(self, path: str, problem: str, fix: str = "") -> ConfigError:
        return ConfigError(self.file, f"HorizontalPodAutoscaler {self.name}: {path}", problem, fix)

    def mapping(self, value: Any, path: str, *, required: bool = False) -> dict[str, Any]:
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise self.error(path, "must be a mapping" if value is not None else "is required")
        return value

    def integer(self, value: Any, path: str, *, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(path, f"must be an integer, got {value!r}")
        if value < minimum:
            raise self.error(path, f"must be at least {minimum}, got {value}")
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.error(path, "must be a non-empty string")
        return value

    def quantity(self, value: Any, path: str) -> int:
        try:
            return milli(value)
        except ValueError as exc:
            raise self.error(
                path, f"must be a quantity such as 100, 500m or 128Mi, got {value!r}"
            ) from exc


def parse_hpa(body: dict[str, Any], file: str = "") -> HpaSpec:
    """One `autoscaling/v2` HorizontalPodAutoscaler document, validated, defaults applied."""
    raw_meta = body.get("metadata")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    r = _Reader(file, str(meta.get("name") or "?"))
    name = r.string(meta.get("name"), "metadata.name")
    namespace = str(meta.get("namespace") or "default")
    if body.get("apiVersion") != "autoscaling/v2":
        raise r.error("apiVersion", f"must be autoscaling/v2, got {body.get('apiVersion')!r}")
    spec = r.mapping(body.get("spec"), "spec", required=True)
    ref = r.mapping(spec.get("scaleTargetRef"), "spec.scaleTargetRef", required=True)
    min_replicas = r.integer(spec.get("minReplicas", 1), "spec.minReplicas", minimum=0)
    max_replicas = r.integer(spec.get("maxReplicas"), "spec.maxReplicas", minimum=1)
    if max_replicas < min_replicas:
        raise r.error("spec.maxReplicas", f"must be at least minReplicas ({min_replicas})")
    raw_metrics = spec.get("metrics") or []
    if not isinstance(raw_metrics, list):
        raise r.error("spec.metrics", "must be a list")
    metrics = tuple(_metric(r, m, f"spec.metrics[{i}]") for i, m in enumerate(raw_metrics))
    if not metrics:
        metrics = (
            MetricSpec(
                SourceType.RESOURCE,
                "cpu",
                MetricTarget(TargetType.UTILIZATION, utilization=DEFAULT_CPU_UTILIZATION),
            ),
        )
    behavior = None
    if spec.get("behavior") is not None:
        b = r.mapping(spec.get("behavior"), "spec.behavior")
        behavior = Behavior(
            scale_up=_rules(r, b.get("scaleUp"), "spec.behavior.scaleUp", DEFAULT_SCALE_UP),
            scale_down=_rules(r, b.get("scaleDown"), "spec.behavior.scaleDown", DEFAULT_SCALE_DOWN),
        )
    return HpaSpec(
        name=name,
        namespace=namespace,
        target_kind=r.string(ref.get("kind"), "spec.scaleTargetRef.kind"),
        target_name=r.string(ref.get("name"), "spec.scaleTargetRef.name"),
        target_api_version=str(ref.get("apiVersion") or ""),
        min_replicas=min_replicas,
        max_replicas=max_replicas,
        metrics=metrics,
        behavior=behavior,
        source=file,
    )


def _target(r: _Reader, raw: Any, path: str, *, resource: bool) -> MetricTarget:
    t = r.mapping(raw, path, required=True)
    try:
        kind = TargetType(str(t.get("type")))
    except ValueError as exc:
        raise r.error(f"{path}.type", "must be Utilization, AverageValue or Value") from exc
    if kind is TargetType.UTILIZATION:
        if not resource:
            raise r.error(f"{path}.type", "Utilization is for Resource metrics only")
        u = r.integer(t.get("averageUtilization"), f"{path}.averageUtilization", minimum=1)
        return MetricTarget(kind, utilization=u)
    field = "averageValue" if kind is TargetType.AVERAGE_VALUE else "value"
    value = r.quantity(t.get(field), f"{path}.{field}")
    if value <= 0:
        raise r.error(f"{path}.{field}", "must be positive")
    return MetricTarget(kind, value_milli=value)


def _metric(r: _Reader, raw: Any, path: str) -> MetricSpec:
    m = r.mapping(raw, path, required=True)
    try:
        kind = SourceType(str(m.get("type")))
    except ValueError as exc:
        raise r.error(
            f"{path}.type", "must be Resource, ContainerResource, Pods, Object or External"
        ) from exc
    if kind in (SourceType.RESOURCE, SourceType.CONTAINER_RESOURCE):
        field = "resource" if kind is SourceType.RESOURCE else "containerResource"
        res = r.mapping(m.get(field), f"{path}.{field}", required=True)
        name = r.string(res.get("name"), f"{path}.{field}.name")
        if name not in ("cpu", "memory"):
            raise r.error(f"{path}.{field}.name", f"must be cpu or memory, got {name!r}")
        target = _target(r, res.get("target"), f"{path}.{field}.target", resource=True)
        if target.type is TargetType.VALUE:
            raise r.error(f"{path}.{field}.target.type", "must be Utilization or AverageValue")
        container = ""
        if kind is SourceType.CONTAINER_RESOURCE:
            container = r.string(res.get("container"), f"{path}.{field}.container")
        return MetricSpec(kind, name, target, container=container)
    field = {SourceType.PODS: "pods", SourceType.OBJECT: "object", SourceType.EXTERNAL: "external"}[
        kind
    ]
    src = r.mapping(m.get(field), f"{path}.{field}", required=True)
    ident = r.mapping(src.get("metric"), f"{path}.{field}.metric", required=True)
    name = r.string(ident.get("name"), f"{path}.{field}.metric.name")
    sel = r.mapping(ident.get("selector"), f"{path}.{field}.metric.selector")
    labels = r.mapping(sel.get("matchLabels"), f"{path}.{field}.metric.selector.matchLabels")
    target = _target(r, src.get("target"), f"{path}.{field}.target", resource=False)
    if kind is SourceType.PODS and target.type is not TargetType.AVERAGE_VALUE:
        raise r.error(f"{path}.pods.target.type", "must be AverageValue for a Pods metric")
    return MetricSpec(
        kind, name, target, selector=tuple(sorted((str(k), str(v)) for k, v in labels.items()))
    )


def _rules(r: _Reader, raw: Any, path: str, default: ScalingRules) -> ScalingRules:
    """`copyHPAScalingRules`: every field given replaces the default's, the rest stay."""
    if raw is None:
        return default
    rules = r.mapping(raw, path)
    window = default.stabilization_window_seconds
    if "stabilizationWindowSeconds" in rules:
        window = r.integer(
            rules["stabilizationWindowSeconds"], f"{path}.stabilizationWindowSeconds", minimum=0
        )
        if window > 3600:
            raise r.error(f"{path}.stabilizationWindowSeconds", "must be at most 3600")
    select = default.select_policy
    if rules.get("selectPolicy") is not None:
        try:
            select = SelectPolicy(rules["selectPolicy"])
        except ValueError as exc:
            raise r.error(f"{path}.selectPolicy", "must be Max, Min or Disabled") from exc
    policies = default.policies
    if rules.get("policies") is not None:
        raw_policies = rules["policies"]
        if not isinstance(raw_policies, list) or not raw_policies:
            raise r.error(f"{path}.policies", "must be a non-empty list")
        policies = tuple(_policy(r, p, f"{path}.policies[{i}]") for i, p in enumerate(raw_policies))
    tolerance = default.tolerance
    if rules.get("tolerance") is not None:
        try:
            tolerance = milli(rules["tolerance"]) / 1000
        except ValueError as exc:
            raise r.error(f"{path}.tolerance", "must be a quantity such as 0.05 or 50m") from exc
    return ScalingRules(window, select, policies, tolerance)


def _policy(r: _Reader, raw: Any, path: str) -> ScalingPolicy:
    p = r.mapping(raw, path, required=True)
    try:
        kind = PolicyType(str(p.get("type")))
    except ValueError as exc:
        raise r.error(f"{path}.type", "must be Pods or Percent") from exc
    period = r.integer(p.get("periodSeconds"), f"{path}.periodSeconds", minimum=1)
    if period > 1800:
        raise r.error(f"{path}.periodSeconds", "must be at most 1800")
    return ScalingPolicy(kind, r.integer(p.get("value"), f"{path}.value", minimum=1), period)
