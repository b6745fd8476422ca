"""The `harness` extension of a Chaos Toolkit experiment: load, phases, SLOs, analyses, gate.

Every model forbids unknown fields, so a misspelt key is a one-line error instead of a silently
ignored setting. Durations are seconds inside (`Duration`), `30s`-style strings in files.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
    field_validator,
    model_validator,
)

from harness.scenario.arrival import ArrivalRate
from harness.scenario.durations import Duration, format_duration, parse_duration

UNTIL_METHOD_ENDS = "until-method-ends"
WINDOW = "{{window}}"  # replaced by the phase window (`15s`) in Prometheus queries
MAX_USERS = 100_000
# the name patterns fields use, each with the fix a one-line error gives (scenario.loader)
SLO_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
KUBE_NAME = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"  # a Kubernetes object name (DNS subdomain)
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"  # a POSIX environment variable name
NAME_FIXES = {
    SLO_NAME: "use letters, digits, '-', '_', '.', starting with a letter or digit",
    KUBE_NAME: "a Kubernetes name: lower-case letters, digits, '-' and '.'",
    ENV_NAME: "an environment variable name: letters, digits and '_', not a digit first",
}


class Phase(StrEnum):
    """The phases of a run, in order. Warm-up is never judged."""

    WARMUP = "warmup"
    BASELINE = "baseline"
    FAULT = "fault"
    RECOVERY = "recovery"


JUDGED_PHASES: tuple[Phase, ...] = (Phase.BASELINE, Phase.FAULT, Phase.RECOVERY)


class Direction(StrEnum):
    """Which side of the objective is good."""

    AT_LEAST = "at-least"  # availability >= 0.99
    AT_MOST = "at-most"  # p95 <= 500 ms, error ratio <= 0.05


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _fault_duration(value: object) -> object:
    if value == UNTIL_METHOD_ENDS:
        return value
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ValueError(f"{exc}, or write {UNTIL_METHOD_ENDS}") from None


def _fault_out(value: float | str) -> str:
    return value if isinstance(value, str) else format_duration(value)


FaultDuration = Annotated[
    float | str,
    BeforeValidator(_fault_duration),
    PlainSerializer(_fault_out, return_type=str),
]


class LoadSpec(_Model):
    """The Locust load: a locustfile and either a load shape or users and a spawn rate.

    `model: open` adds `rate` (requests started per second: a number, or steps
    `"0:10,8:40"`, see harness.scenario.arrival): the users are then sessions the arrivals
    run on, and latency counts from each arrival's intended start. A generator that falls
    behind its schedule by more than `max_lag` makes the run "could not judge".
    `env` is added to the locustfile's environment (the bundled journeys read
    `LOAD_THINK_SCALE`, `LOAD_REQUEST_TIMEOUT`); the harness's own credentials variables win.
    """

    locustfile: str
    # strict: YAML's `true` and `1e12` are not user counts; the bounds are far above what one
    # machine (thousands) or a cluster's Locust workers (tens of thousands) can drive
    users: StrictInt | None = Field(default=None, ge=1, le=MAX_USERS)
    spawn_rate: StrictFloat | None = Field(default=None, gt=0, le=MAX_USERS, allow_inf_nan=False)
    shape: str | None = None  # a LoadTestShape class name in the locustfile
    host: str | None = None  # default: the gateway of the target
    model: Literal["closed", "open"] = "closed"
    rate: ArrivalRate | None = None
    max_lag: Duration = 0.25
    env: dict[Annotated[str, StringConstraints(pattern=ENV_NAME)], StrictStr] = {}

    @model_validator(mode="after")
    def _shape_or_users(self) -> LoadSpec:
        if self.shape is None and (self.users is None or self.spawn_rate is None):
            raise ValueError("give either shape, or users and spawn_rate")
        if self.shape is not None and (self.users is not None or self.spawn_rate is not None):
            raise ValueError("give either shape, or users and spawn_rate, not both")
        if self.model == "open" and self.rate is None:
            raise ValueError("model: open needs rate (requests per second, e.g. 40)")
        if self.model == "open" and self.shape is not None:
            raise ValueError("model: open takes users (sessions) and rate, not shape")
        if self.model == "closed" and self.rate is not None:
            raise ValueError("rate belongs to model: open (add model: open, or drop rate)")
        return self


class PhasesSpec(_Model):
    """How long each phase lasts; the fault phase may last until the chaos method ends."""

    warmup: Duration = 10.0
    baseline: Duration
    fault: FaultDuration = UNTIL_METHOD_ENDS
    recovery: Duration

    def fixed(self, phase: Phase) -> float | None:
        """The configured length of `phase` in seconds, None when it follows the method."""
        value: float | str = getattr(self, phase.value)
        return None if isinstance(value, str) else value


class RatioSli(_Model):
    """good/total events over the window, from Prometheus (write `bad` instead of `good` if
    that is what you count). Queries must range over `{{window}}`."""

    type: Literal["ratio"]
    good: str | None = None
    bad: str | None = None
    total: str

    @model_validator(mode="after")
    def _good_or_bad(self) -> RatioSli:
        if (self.good is None) == (self.bad is None):
            raise ValueError("give exactly one of good or bad, plus total")
        for query in (self.good, self.bad, self.total):
            if query is not None and WINDOW not in query:
                raise ValueError(
                    f"every query must range over {WINDOW}, e.g. increase(x[{WINDOW}])"
                )
        return self

    @property
    def good_or_bad(self) -> str:
        return self.good if self.good is not None else str(self.bad)


class ThresholdSli(_Model):
    """One number per window from Prometheus, e.g. histogram_quantile(0.95, ...[{{window}}])."""

    type: Literal["threshold"]
    query: str


ClientMetric = Literal["error_ratio", "p50_ms", "p95_ms", "p99_ms", "requests_per_s"]
PERCENTILE_METRICS: dict[str, float] = {"p50_ms": 50.0, "p95_ms": 95.0, "p99_ms": 99.0}


class ClientSli(_Model):
    """A client-side figure from the load generator's per-second latency histograms.

    `requests`: glob patterns (fnmatch, case-sensitive) on the request name as Locust shows it,
    or on `TYPE name`, e.g. `["GET /api/v1/inventory*", "POST /api/v1/orders"]`; none = all.
    """

    type: Literal["client"]
    metric: ClientMetric
    requests: tuple[str, ...] = ()

    @field_validator("requests")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not p.strip() for p in value):
            raise ValueError("a request pattern cannot be empty (e.g. 'GET /api/v1/inventory*')")
        return value


Sli = Annotated[RatioSli | ThresholdSli | ClientSli, Field(discriminator="type")]


class SloSpec(_Model):
    """One objective, judged separately in each phase it applies to."""

    name: str = Field(pattern=SLO_NAME, max_length=80)
    description: str = ""
    service: str | None = None  # for the blast radius: which service this SLO speaks for
    sli: Sli
    objective: float
    direction: Direction | None = None  # default: at-least for ratios, at-most otherwise
    unit: str = ""
    phases: tuple[Phase, ...] = JUDGED_PHASES
    abort_on_breach: bool | None = None  # default: gate.abort_on_breach

    @field_validator("objective")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("the objective must be a finite number")
        return value

    @field_validator("phases")
    @classmethod
    def _judged(cls, value: tuple[Phase, ...]) -> tuple[Phase, ...]:
        if not value:
            raise ValueError("list at least one of baseline, fault, recovery")
        if Phase.WARMUP in value:
            raise ValueError("warm-up is never judged; list baseline, fault or recovery")
        return tuple(p for p in JUDGED_PHASES if p in value)

    @model_validator(mode="after")
    def _ratio_range(self) -> SloSpec:
        is_ratio = isinstance(self.sli, RatioSli) or (
            isinstance(self.sli, ClientSli) and self.sli.metric == "error_ratio"
        )
        if is_ratio and not 0.0 <= self.objective <= 1.0:
            raise ValueError("a ratio objective lies between 0 and 1, e.g. 0.99")
        return self

    @property
    def wants(self) -> Direction:
        if self.direction is not None:
            return self.direction
        if isinstance(self.sli, RatioSli):
            return Direction.AT_LEAST
        if isinstance(self.sli, ClientSli) and self.sli.metric == "requests_per_s":
            return Direction.AT_LEAST
        return Direction.AT_MOST


class AnalysisSpec(_Model):
    """An Argo AnalysisTemplate to run live during the fault or replay over phases after it."""

    template: str
    args: dict[str, str] = Field(default_factory=dict)
    mode: Literal["live", "replay"] = "replay"
    interval_scale: float = Field(default=1.0, gt=0, le=1)
    phases: tuple[Phase, ...] = (Phase.FAULT, Phase.RECOVERY)


class ChartSpec(_Model):
    """A chart in report.html: a PromQL range query; `{{rate}}` is the short rate window."""

    title: str
    query: str
    unit: str = ""
    legend: str | None = None  # the label that names each line, e.g. "target"


SloFailVerdict = Literal["failed", "inconclusive"]
AnalysisFailPhase = Literal["Failed", "Error", "Inconclusive"]


class FailOn(_Model):
    """Which verdicts make the gate exit 1. A failed verdict not listed is informational; an
    inconclusive one not listed still exits 3 (no data is never a pass)."""

    slo: tuple[SloFailVerdict, ...] = ("failed",)
    analysis: tuple[AnalysisFailPhase, ...] = ("Failed",)
    # the experiment's steady-state hypothesis not met (before or after the method)
    hypothesis: bool = True


def _min_effect(value: object) -> object:
    """`10%` (of the reference median), `10` or `10ms` (in the SLI's unit), or the mapping."""
    if isinstance(value, bool):
        raise ValueError("write a share like 10% or an amount like 10 (the SLI's unit)")
    if isinstance(value, int | float):
        return {"absolute": value}
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.endswith("%"):
                return {"relative": float(text[:-1]) / 100.0}
            return {"absolute": float(text.removesuffix("ms"))}
        except ValueError:
            raise ValueError(
                f"{value!r} is not a minimum effect: write 10% (of the reference) or 10 "
                "(in the SLI's unit, e.g. 10ms)"
            ) from None
    return value


class MinEffect(_Model):
    """The smallest shift that matters: the larger of `relative` times |reference median| and
    `absolute` (in the SLI's unit)."""

    relative: float = Field(default=0.0, ge=0)
    absolute: float = Field(default=0.0, ge=0)


MinEffectSpec = Annotated[MinEffect, BeforeValidator(_min_effect)]


class RegressionSli(_Model):
    """One SLI the regression gate compares, optionally with its own minimum effect."""

    slo: str
    min_effect: MinEffectSpec | None = None
    phases: tuple[Phase, ...] = JUDGED_PHASES


def _regression_sli(value: object) -> object:
    return {"slo": value} if isinstance(value, str) else value


class RegressionPolicy(_Model):
    """`gate.regression`: compare this run's per-second SLI samples with another run's
    (Mann-Whitney U, Hodges-Lehmann shift); a significant shift for the worse that is at least
    the minimum effect fails the gate (exit 1)."""

    against: str = "last-pass"  # last-pass, a run id, or a name given with `harness history`
    slis: tuple[Annotated[RegressionSli, BeforeValidator(_regression_sli)], ...] = ()  # all
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    min_effect: MinEffectSpec = Field(default_factory=lambda: MinEffect(relative=0.10))
    # nothing to compare with, or too few samples: said plainly; exit 3 only when required
    require: bool = False


class GatePolicy(_Model):
    """How verdicts become an exit code, and k6-style abort when an SLO is breached."""

    fail_on: FailOn = Field(default_factory=FailOn)
    abort_on_breach: bool = False
    abort_delay: Duration = 10.0  # no abort before this long into the judged phases
    # harness parts the method kills on purpose (mesh, gateway, prometheus, fork-server): their
    # restarts inside the fault window are the fault, not a reason to doubt the verdict
    injected_parts: tuple[Literal["mesh", "gateway", "prometheus", "fork-server"], ...] = ()
    regression: RegressionPolicy | None = None


RolloutOutcome = Literal["aborted", "promoted"]


class RolloutExpectation(_Model):
    """What a release scenario expects of an Argo Rollout during the run (docs/rollouts.md):
    `aborted` (the revision rolled out in the run was stopped before the active Service
    selected it) or `promoted` (it became stable after its analyses, its old pods gone)."""

    name: str
    namespace: str = "default"
    outcome: RolloutOutcome


class PrometheusSpec(_Model):
    scrape_interval: Duration = 1.0
    detect_window: Duration | None = None  # rate window for breach detection; 4 scrapes


class ScaleOutExpectation(_Model):
    """The autoscaler reaches at least `to` replicas within `within` of the fault phase's start."""

    to: int = Field(ge=1)
    within: Duration | None = None  # None: any time before the recovery phase ends


class ScaleInExpectation(_Model):
    """By the end of the run the autoscaler is back at (or below) `to` replicas."""

    to: int = Field(ge=0)


class AutoscalerExpectation(_Model):
    """What a HorizontalPodAutoscaler must do during the run (read from kube-state-metrics'
    `kube_horizontalpodautoscaler_status_desired_replicas`, on both targets)."""

    name: str = Field(pattern=KUBE_NAME)
    namespace: str = "default"
    scale_out: ScaleOutExpectation | None = None
    scale_in: ScaleInExpectation | None = None


class Expectations(_Model):
    """`expect:`: what must happen to the platform during the run, besides its SLOs; an unmet
    expectation fails the run."""

    rollout: RolloutExpectation | None = None
    autoscaler: AutoscalerExpectation | None = None


class HarnessExtension(_Model):
    """The entry named `harness` in an experiment's `extensions` list."""

    name: Literal["harness"]
    load: LoadSpec
    phases: PhasesSpec
    prometheus: PrometheusSpec = Field(default_factory=PrometheusSpec)
    slos: tuple[SloSpec, ...]
    analyses: tuple[AnalysisSpec, ...] = ()
    charts: tuple[ChartSpec, ...] | None = None
    gate: GatePolicy = Field(default_factory=GatePolicy)
    expect: Expectations = Field(default_factory=Expectations)
    # hosts beside loopback that load.host (and --gateway/--prometheus) may name
    allowed_hosts: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _regression_names(self) -> HarnessExtension:
        policy = self.gate.regression
        names = {s.name for s in self.slos}
        for item in policy.slis if policy is not None else ():
            if item.slo not in names:
                raise ValueError(
                    f"gate.regression.slis: no SLO named {item.slo!r} "
                    f"(the scenario has {', '.join(sorted(names))})"
                )
        return self

    @model_validator(mode="after")
    def _users_arrive_in_warmup(self) -> HarnessExtension:
        # users still arriving (and signing up) in the baseline would make it unrepresentative
        load = self.load
        if load.users is not None and load.spawn_rate is not None:
            arrival = load.users / load.spawn_rate
            if arrival > self.phases.warmup + 1e-9:
                fastest = load.users / self.phases.warmup if self.phases.warmup else math.inf
                raise ValueError(
                    f"load: {load.users} users at spawn_rate {load.spawn_rate:g}/s arrive over "
                    f"{arrival:.3g}s, past the {self.phases.warmup:g}s warm-up; set spawn_rate "
                    f"to at least {fastest:.3g} or lengthen phases.warmup"
                )
        return self

    @property
    def detect_window(self) -> float:
        window = self.prometheus.detect_window
        return window if window is not None else 4 * self.prometheus.scrape_interval

    def slo(self, name: str) -> SloSpec:
        for slo in self.slos:
            if slo.name == name:
                return slo
        raise KeyError(name)
