"""Assembling a `Report` from a run's evidence, and re-judging a saved one."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from harness.report.hypothesis import chaos_findings
from harness.report.model import (
    AnalysisRun,
    ChaosSummary,
    Chart,
    Expectation,
    LocustSummary,
    PreflightQuery,
    Report,
    ScenarioRecord,
)
from harness.report.rollouts import RolloutRecord, rollout_findings
from harness.scenario.loader import Scenario
from harness.scenario.model import JUDGED_PHASES, HarnessExtension
from harness.slo.comparison import Comparison, SliShift, regression_findings
from harness.slo.evaluate import Evaluation, analyse
from harness.slo.infra import InfraEvent, breakages
from harness.slo.judge import overall
from harness.slo.load_phases import LoadPhase, behind_schedule
from harness.slo.model import Measurement, PhaseWindow


def scenario_record(scenario: Scenario) -> ScenarioRecord:
    def names(key: str) -> tuple[str, ...]:
        items = scenario.experiment.get(key) or []
        return tuple(str(a.get("name", "?")) for a in items if isinstance(a, Mapping))

    return ScenarioRecord(
        name=scenario.name,
        path=str(scenario.path),
        title=scenario.title,
        description=str(scenario.experiment.get("description", "") or "").strip(),
        method=names("method"),
        rollbacks=names("rollbacks"),
        harness=scenario.harness,
    )


def _outcome_fields(ext: HarnessExtension, report: Mapping[str, Any]) -> dict[str, Any]:
    invalid = list(report.get("invalid", ()))
    locust: LocustSummary | None = report.get("locust")
    if locust is not None and not locust.trustworthy:
        note = f"load generator not trustworthy: {locust.warning}"
        if note not in invalid:
            invalid.append(note)
    load_phases: Sequence[LoadPhase] = report.get("load_phases", ())
    invalid += [r for r in behind_schedule(load_phases) if r not in invalid]
    analyses: Sequence[AnalysisRun] = report.get("analyses", ())
    chaos = chaos_findings(report.get("chaos"), hypothesis_fails=ext.gate.fail_on.hypothesis)
    events: Sequence[InfraEvent] = report.get("infra", ())
    broke = breakages(events, report.get("phases", ()), injected=ext.gate.injected_parts)
    regressed, unmeasured = regression_findings(ext.gate.regression, report.get("compared_with"))
    rollout_failed, rollout_unjudged = rollout_findings(ext, report.get("rollouts", ()))
    outcome = overall(
        report.get("verdicts", ()),
        [(a.template, a.phase) for a in analyses],
        ext.gate,
        interrupted=bool(report.get("interrupted")),
        aborted=report.get("aborted"),
        invalid=[*invalid, *chaos.unjudged, *unmeasured, *rollout_unjudged],
        failed=[
            *chaos.failed,
            *regressed,
            *rollout_failed,
            *(f"{e.name}: {e.reason}" for e in report.get("expectations", ()) if not e.met),
        ],
        infra=broke,
    )
    return {
        "invalid": tuple(invalid),
        "verdict": outcome.verdict,
        "exit_code": int(outcome.exit_code),
        "reasons": outcome.reasons,
    }


def build_report(
    *,
    run_id: str,
    scenario: Scenario,
    phases: Sequence[PhaseWindow],
    evaluation: Evaluation,
    scrape_interval: float,
    target: str = "local",
    analyses: Sequence[AnalysisRun] = (),
    locust: LocustSummary | None = None,
    load_phases: Sequence[LoadPhase] = (),
    chaos: ChaosSummary | None = None,
    charts: Sequence[Chart] = (),
    tool_versions: Mapping[str, str] | None = None,
    interrupted: bool = False,
    aborted: str | None = None,
    invalid: Sequence[str] = (),
    expectations: Sequence[Expectation] = (),
    infra: Sequence[InfraEvent] = (),
    preflight: Sequence[PreflightQuery] = (),
    created: float | None = None,
    rollouts: Sequence[RolloutRecord] = (),
) -> Report:
    """The report of one run; its verdict and exit code follow the scenario's gate policy."""
    fields: dict[str, Any] = {
        "run_id": run_id,
        "created": created if created is not None else time.time(),
        "target": target,
        "scenario": scenario_record(scenario),
        "phases": tuple(phases),
        "scrape_interval": scrape_interval,
        "measurements": evaluation.measurements,
        "slo_series": dict(evaluation.series),
        "verdicts": evaluation.verdicts,
        "resilience": evaluation.resilience,
        "analyses": tuple(analyses),
        "locust": locust,
        "load_phases": tuple(load_phases),
        "chaos": chaos,
        "charts": tuple(charts),
        "rollouts": tuple(rollouts),
        "tool_versions": dict(tool_versions or {}),
        "interrupted": interrupted,
        "aborted": aborted,
        "invalid": tuple(invalid),
        "expectations": tuple(expectations),
        "infra": tuple(infra),
        "preflight": tuple(preflight),
    }
    fields.update(_outcome_fields(scenario.harness, fields))
    return Report(**fields)


def rejudge(report: Report, harness: HarnessExtension | None = None) -> Report:
    """Judge the recorded evidence again, under `harness` (a newer scenario) or the recorded one.

    Evidence is never re-gathered: an SLO the run did not measure is inconclusive.
    """
    ext = harness if harness is not None else report.scenario.harness
    measurements = list(report.measurements)
    measured = {(m.slo, m.phase) for m in measurements}
    for slo in ext.slos:
        for window in report.phases:
            if window.phase in JUDGED_PHASES and (slo.name, window.phase) not in measured:
                measurements.append(
                    Measurement(
                        slo=slo.name,
                        phase=window.phase,
                        start=window.start,
                        end=window.end,
                        query="",
                        error="not measured in this run",
                    )
                )
    verdicts, resilience = analyse(ext, report.phases, measurements, report.slo_series)
    fields = dict(report)
    fields.update(
        scenario=report.scenario.model_copy(update={"harness": ext}),
        measurements=tuple(measurements),
        verdicts=tuple(verdicts),
        resilience=resilience,
        invalid=tuple(i for i in report.invalid if not i.startswith("load generator")),
    )
    fields.update(_outcome_fields(ext, fields))
    return Report(**fields)


def with_history(
    report: Report,
    *,
    recovery: Sequence[SliShift] | None = None,
    compared_with: Comparison | None = None,
) -> Report:
    """The report with its recovery-vs-baseline shifts and its comparison with an earlier run,
    judged again (`gate.regression` may fail it)."""
    fields = dict(report)
    if recovery is not None:
        fields["recovery"] = tuple(recovery)
    if compared_with is not None:
        fields["compared_with"] = compared_with
    fields.update(_outcome_fields(report.scenario.harness, fields))
    return Report(**fields)
