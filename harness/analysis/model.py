"""AnalysisTemplate / AnalysisRun spec (`pkg/apis/rollouts/v1alpha1/analysis_types.go`).

Two stages, as in Argo: the file is checked for shape when loaded (pydantic: unknown fields,
wrong types), then each metric is resolved against its arguments and checked by Argo's own rules
(`ValidateMetrics`, dry-run and retention regexes). Failures of the second stage carry the
message Argo would put on the AnalysisRun (`Analysis spec invalid: ...`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from harness.analysis.args import ArgError, resolve_metric
from harness.analysis.durations import parse_duration

IntOrString = int | str

DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4  # utils/defaults/defaults.go


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True
    )


class SecretKeyRef(_Model):
    name: str
    key: str


class FieldRef(_Model):
    field_path: str


class ValueFrom(_Model):
    secret_key_ref: SecretKeyRef | None = None
    field_ref: FieldRef | None = None
    pod_template_hash_value: str | None = None


class Argument(_Model):
    name: str
    value: str | None = None
    value_from: ValueFrom | None = None


class Header(_Model):
    key: str
    value: str


class RangeQuery(_Model):
    start: str = ""
    end: str = ""
    step: str = ""


class BasicAuth(_Model):
    username: str = ""
    password: str = ""


class Authentication(_Model):
    basic_auth: BasicAuth | None = None
    sigv4: dict[str, Any] | None = None
    oauth2: dict[str, Any] | None = None


class PrometheusProvider(_Model):
    address: str = ""
    query: str = ""
    timeout: int | None = None
    insecure: bool = False
    headers: list[Header] = Field(default_factory=list)
    authentication: Authentication | None = None
    range_query: RangeQuery | None = None


class Provider(_Model):
    # other providers (web, job, datadog, ...) are kept raw so the error can name them
    model_config = ConfigDict(extra="allow", alias_generator=to_camel, frozen=True)
    prometheus: PrometheusProvider | None = None


class Metric(_Model):
    name: str
    interval: str = ""
    initial_delay: str = ""
    count: IntOrString | None = None
    success_condition: str = ""
    failure_condition: str = ""
    failure_limit: IntOrString | None = None
    inconclusive_limit: IntOrString | None = None
    consecutive_error_limit: IntOrString | None = None
    consecutive_success_limit: IntOrString | None = None
    provider: Provider


class DryRun(_Model):
    metric_name: str


class MeasurementRetention(_Model):
    metric_name: str
    limit: int


class AnalysisSpec(_Model):
    args: list[Argument] = Field(default_factory=list)
    metrics: list[dict[str, Any]]  # raw: templating works on the serialised metric
    dry_run: list[DryRun] = Field(default_factory=list)
    measurement_retention: list[MeasurementRetention] = Field(default_factory=list)
    terminate: bool = False
    ttl_strategy: dict[str, Any] | None = None


class AnalysisTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)
    api_version: str = Field(alias="apiVersion")
    kind: Literal["AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun"]
    metadata: dict[str, Any] = Field(default_factory=dict)
    spec: AnalysisSpec
    status: dict[str, Any] | None = None


def int_value(value: IntOrString | None, default: int = 0) -> int:
    """`intstr.IntValue()`: ints as is, numeric strings parsed, anything else 0."""
    if value is None:
        return default
    if isinstance(value, int):
        return value
    # strconv.Atoi: optional sign and ASCII digits only, else IntValue() gives 0
    return int(value) if re.fullmatch(r"[+-]?[0-9]+", value) else 0


def effective_count(metric: Metric) -> int | None:
    """`EffectiveCount()`: count 0/unset → 1 without interval, unbounded (None) with one."""
    count = int_value(metric.count)
    if count == 0:
        return None if metric.interval else 1
    return count


def consecutive_error_limit(metric: Metric) -> int:
    return int_value(metric.consecutive_error_limit, DEFAULT_CONSECUTIVE_ERROR_LIMIT)


class SpecError(Exception):
    """Raised when Argo would set the AnalysisRun to Error before measuring; message is Argo's."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def validate_metric(metric: Metric) -> None:
    """`ValidateMetric` (utils/analysis/factory.go), same checks, same order, same words."""
    count = int_value(metric.count)
    failure_limit = int_value(metric.failure_limit)
    success_limit = int_value(metric.consecutive_success_limit)
    inconclusive_limit = int_value(metric.inconclusive_limit)
    if success_limit < 0:
        raise ValueError("consecutiveSuccessLimit must be >= 0")
    if failure_limit < -1:
        raise ValueError("failureLimit must be >= 0, or -1 to be disabled")
    if success_limit == 0 and failure_limit == -1:
        raise ValueError("failureLimit and consecutiveSuccessLimit cannot both be disabled")
    if inconclusive_limit < 0:
        raise ValueError("inconclusiveLimit must be >= 0")
    if metric.consecutive_error_limit is not None and consecutive_error_limit(metric) < 0:
        raise ValueError("consecutiveErrorLimit must be >= 0")
    if count > 0:
        if failure_limit >= 0 and count < failure_limit + success_limit:
            raise ValueError(
                f"count ({count}) must be >= failureLimit + consecutiveSuccessLimit "
                f"({failure_limit} + {success_limit}) if both >= 0"
            )
        if failure_limit < 0 and count < success_limit:
            raise ValueError("count must be >= consecutiveSuccessLimit")
        if count < inconclusive_limit:
            raise ValueError("count must be >= inconclusiveLimit")
    if count > 1 and not metric.interval:
        raise ValueError("interval must be specified when count > 1")
    for text, what in ((metric.interval, "interval"), (metric.initial_delay, "startDelay")):
        if text:
            try:
                parse_duration(text)
            except ValueError as exc:
                raise ValueError(f"invalid {what} string: {exc}") from None
    # iterating the model yields its extra fields too (web, job, datadog, ...)
    providers = [name for name, value in metric.provider if value is not None]
    if not providers:
        raise ValueError("no provider specified")
    if len(providers) > 1:
        raise ValueError("multiple providers specified")


def _match_rules(kind: str, patterns: list[str], names: list[str]) -> set[str]:
    """`GetDryRunMetrics` / `GetMeasurementRetentionMetrics`: unanchored regex per rule."""
    matched: set[str] = set()
    for index, pattern in enumerate(patterns):
        try:
            rule = re.compile(pattern)
        except re.error:
            rule = None  # Go ignores the compile error: the rule matches nothing
        hits = [n for n in names if rule is not None and rule.search(n)]
        if not hits:
            raise SpecError(
                f"Analysis spec invalid: {kind}[{index}]: Rule didn't match any metric name(s)",
                field=f"spec.{kind}[{index}].metricName",
            )
        matched.update(hits)
    return matched


@dataclass(frozen=True)
class PreparedAnalysis:
    """Resolved metrics ready to run: what the controller has after its first checks."""

    metrics: tuple[Metric, ...]
    dry_run: frozenset[str]
    secrets: tuple[str, ...] = ()


def merge_args(spec: AnalysisSpec, supplied: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """Template args with caller values laid over them by name (`MergeArgs`)."""
    return [(arg.name, supplied.get(arg.name, arg.value)) for arg in spec.args]


def prepare(spec: AnalysisSpec, supplied: Mapping[str, str]) -> PreparedAnalysis:
    """Resolve args, validate, match dry-run rules, in `reconcileAnalysisRun`'s order."""
    args = merge_args(spec, supplied)
    resolved: list[Metric] = []
    for index, raw in enumerate(spec.metrics):
        try:
            data = resolve_metric(raw, args)
        except ArgError as exc:
            raise SpecError(
                f"Unable to resolve metric arguments: {exc}", field="spec.args"
            ) from None
        try:
            resolved.append(Metric.model_validate(data))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise SpecError(
                f"Unable to resolve metric arguments: metrics[{index}].{where}: {first['msg']}",
                field=f"spec.metrics[{index}].{where}",
            ) from None
    if not resolved:
        raise SpecError("Analysis spec invalid: no metrics specified", field="spec.metrics")
    seen: set[str] = set()
    for index, metric in enumerate(resolved):
        if metric.name in seen:
            raise SpecError(
                f"Analysis spec invalid: metrics[{index}]: duplicate name '{metric.name}'",
                field=f"spec.metrics[{index}].name",
            )
        seen.add(metric.name)
        try:
            validate_metric(metric)
        except ValueError as exc:
            raise SpecError(
                f"Analysis spec invalid: metrics[{index}]: {exc}", field=f"spec.metrics[{index}]"
            ) from None
    names = [m.name for m in resolved]
    dry = _match_rules("dryRun", [r.metric_name for r in spec.dry_run], names)
    _match_rules("measurementRetention", [r.metric_name for r in spec.measurement_retention], names)
    secret_names = {a.name for a in spec.args if a.value_from and a.value_from.secret_key_ref}
    secrets = tuple(v for n, v in args if n in secret_names and v)
    return PreparedAnalysis(tuple(resolved), frozenset(dry), secrets)
