"""report.json: one versioned document holding the evidence, the verdicts and how they were
reached, so that `harness gate` can re-judge a run and `harness report` re-render it.

Bump `SCHEMA_VERSION` on any change a reader of an older file would misread; docs/reports.md
describes every field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from harness.contracts.locust import ClientHistory, EndpointStats, LocustStats
from harness.report.rollouts import RolloutRecord
from harness.scenario.model import HarnessExtension
from harness.slo.comparison import Comparison, SampleSeries, SliShift
from harness.slo.infra import InfraEvent
from harness.slo.load_phases import LoadPhase
from harness.slo.model import (
    Measurement,
    NamedSeries,
    PhaseWindow,
    Resilience,
    RunVerdict,
    Sample,
    SloVerdict,
)

SCHEMA_VERSION: Literal[1] = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")


class LocustEndpoint(_Model):
    """`locust.endpoints[]`: one request name as the clients saw it."""

    method: str
    name: str
    requests: int
    failures: int
    median_ms: float | None
    average_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    rps: float

    @classmethod
    def of(cls, e: EndpointStats) -> LocustEndpoint:
        return cls(
            method=e.method,
            name=e.name,
            requests=e.requests,
            failures=e.failures,
            median_ms=e.median_ms,
            average_ms=e.average_ms,
            p95_ms=e.p95_ms,
            p99_ms=e.p99_ms,
            max_ms=e.max_ms,
            rps=e.rps,
        )


class LocustSummary(_Model):
    """The load as the client saw it, for the report."""

    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_users: int = 0
    endpoints: tuple[LocustEndpoint, ...] = ()
    trustworthy: bool = True  # False when the load generator was saturated (CPU > 90 %)
    warning: str = ""

    @classmethod
    def of(
        cls, stats: LocustStats, history: ClientHistory | None, *, saturated_warning: str = ""
    ) -> LocustSummary:
        """The totals and per-endpoint figures of Locust's records."""
        total = stats.total
        return cls(
            requests=total.requests if total else 0,
            failures=total.failures if total else 0,
            rps=total.rps if total else 0.0,
            p50_ms=total.p50_ms if total else None,
            p95_ms=total.p95_ms if total else None,
            p99_ms=total.p99_ms if total else None,
            max_users=max((r.users for r in history.rows), default=0) if history else 0,
            endpoints=tuple(LocustEndpoint.of(e) for e in stats.endpoints),
            trustworthy=not saturated_warning,
            warning=saturated_warning,
        )


class ScenarioRecord(_Model):
    """The scenario as run: its harness extension in full, the chaos method by name only (the
    experiment's configuration and secrets are never copied)."""

    name: str
    path: str
    title: str
    description: str = ""
    method: tuple[str, ...] = ()
    rollbacks: tuple[str, ...] = ()
    harness: HarnessExtension


class AnalysisMeasurement(_Model):
    time: float | str  # RFC 3339 as `harness analyze --json` writes it, or Unix seconds
    value: JsonValue = None
    phase: str
    message: str = ""


class AnalysisMetric(_Model):
    name: str
    phase: str  # Successful, Failed, Inconclusive, Error, Running, Pending
    message: str = ""
    dry_run: bool = False
    count: int = 0
    measurements: tuple[AnalysisMeasurement, ...] = ()


class AnalysisRun(_Model):
    """One AnalysisTemplate run; `phase` and `metrics` follow `harness analyze --json`."""

    template: str
    args: dict[str, str] = Field(default_factory=dict)
    mode: Literal["live", "replay"] = "replay"
    start: float | None = None
    end: float | None = None
    phase: str
    message: str = ""
    notes: tuple[str, ...] = ()
    metrics: tuple[AnalysisMetric, ...] = ()

    @classmethod
    def from_analyze_json(
        cls,
        doc: Mapping[str, Any],
        *,
        template: str,
        args: Mapping[str, str],
        mode: Literal["live", "replay"],
        start: float | None = None,
        end: float | None = None,
    ) -> AnalysisRun:
        """From the `harness analyze --json` document (`harness.analysis.render.to_json`)."""
        metrics = tuple(
            AnalysisMetric(
                name=str(m.get("name", "")),
                phase=str(m.get("phase", "")),
                message=str(m.get("message", "") or ""),
                dry_run=bool(m.get("dryRun", m.get("dry_run", False))),
                count=int(m.get("count", 0) or 0),
                measurements=tuple(
                    AnalysisMeasurement(
                        time=x.get("time", ""),
                        value=x.get("value"),
                        phase=str(x.get("phase", "")),
                        message=str(x.get("message", "") or ""),
                    )
                    for x in m.get("measurements", ())
                ),
            )
            for m in doc.get("metrics", ())
        )
        return cls(
            template=template,
            args=dict(args),
            mode=mode,
            start=start,
            end=end,
            phase=str(doc.get("phase", "")),
            message=str(doc.get("message", "") or ""),
            notes=tuple(str(n) for n in doc.get("notes", ())),
            metrics=metrics,
        )


class ChaosActivity(_Model):
    name: str
    type: str = "action"
    status: str = ""
    start: str | None = None
    end: str | None = None
    duration: float | None = None
    error: str = ""


class ProbeCheck(_Model):
    """One probe of the steady-state hypothesis, as it ran."""

    name: str
    provider: str = ""  # module.func of a Python probe, else the provider type (http, process)
    status: str = ""  # succeeded; anything else: the probe raised
    tolerance_met: bool | None = None
    value: str = ""  # the probe's output, shortened
    error: str = ""


class SteadyStateCheck(_Model):
    """The hypothesis checked once: before or after the method."""

    when: Literal["before", "after"]
    met: bool
    probes: tuple[ProbeCheck, ...] = ()


class ChaosSummary(_Model):
    """What Chaos Toolkit's journal says happened, and how the harness judged it (`ending`:
    held, deviated, failed, invalid, interrupted; empty in reports written before it existed)."""

    title: str = ""
    status: str = ""  # completed, failed, aborted, interrupted
    deviated: bool = False
    ending: str = ""
    reason: str = ""
    steady_states: tuple[SteadyStateCheck, ...] = ()
    start: str | None = None
    end: str | None = None
    duration: float | None = None
    activities: tuple[ChaosActivity, ...] = ()
    rollbacks: tuple[ChaosActivity, ...] = ()


class Chart(_Model):
    key: str
    title: str
    unit: str = ""
    query: str = ""
    series: tuple[NamedSeries, ...] = ()
    error: str = ""


class Expectation(_Model):
    """One `expect:` of the scenario (an autoscaler that must scale out, then in) and its check."""

    name: str
    met: bool
    reason: str


class PreflightQuery(_Model):
    """One query of the scenario as sent to Prometheus before the load started."""

    owner: str  # "SLO gateway-availability", "analysis deploy/.../x.yaml metric error-rate"
    field: str  # where it is written: "sli.total", "provider.prometheus.query", "query"
    query: str  # with its arguments and windows filled in


class Report(_Model):
    """The whole report. Times are Unix seconds (UTC) unless a field says otherwise."""

    schema_version: Literal[1] = SCHEMA_VERSION
    kind: Literal["harness-report"] = "harness-report"
    run_id: str
    created: float
    target: str = "local"
    scenario: ScenarioRecord
    phases: tuple[PhaseWindow, ...]
    scrape_interval: float
    measurements: tuple[Measurement, ...] = ()
    slo_series: dict[str, tuple[Sample, ...]] = Field(default_factory=dict)
    verdicts: tuple[SloVerdict, ...] = ()
    resilience: Resilience = Field(default_factory=Resilience)
    analyses: tuple[AnalysisRun, ...] = ()
    locust: LocustSummary | None = None
    load_phases: tuple[LoadPhase, ...] = ()  # per judged phase: what the client figures rest on
    chaos: ChaosSummary | None = None
    charts: tuple[Chart, ...] = ()
    rollouts: tuple[RolloutRecord, ...] = ()  # the Rollouts a release scenario drove
    tool_versions: dict[str, str] = Field(default_factory=dict)
    interrupted: bool = False
    aborted: str | None = None
    invalid: tuple[str, ...] = ()  # reasons the run itself cannot be trusted
    expectations: tuple[Expectation, ...] = ()
    infra: tuple[InfraEvent, ...] = ()  # harness parts that died or restarted during the run
    preflight: tuple[PreflightQuery, ...] = ()  # every PromQL query, checked before the load
    verdict: RunVerdict
    exit_code: int
    reasons: tuple[str, ...] = ()
    files: dict[str, str] = Field(default_factory=dict)  # artifact -> path inside the run folder
    # run history (docs/history.md): absent in reports written before it existed
    sut_commit: str | None = None  # git commit of the system under test, when known
    samples: dict[str, SampleSeries] = Field(default_factory=dict)  # per-second, per SLO
    recovery: tuple[SliShift, ...] = ()  # recovery against baseline, per SLO
    compared_with: Comparison | None = None  # this run against an earlier one
