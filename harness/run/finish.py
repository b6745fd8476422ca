"""The one call `harness run` makes after the last window closed (or after an interrupt):
read the evidence, judge it, write `reports/<run-id>/` and return the verdict."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.contracts.locust import ClientHistory
from harness.contracts.promql import PromQLSource
from harness.errors import CouldNotJudge
from harness.load.latency import LatencyRecord, read_latency
from harness.load.stats import read_history, read_stats, stats_file
from harness.report.build import build_report
from harness.report.evidence import summarize_journal, tool_versions
from harness.report.layout import RunFiles, new_run_id, write_report
from harness.report.model import AnalysisRun, LocustSummary, PreflightQuery, Report
from harness.report.rollouts import RolloutRecord
from harness.run.charts import collect_charts
from harness.run.expectations import check_expectations
from harness.run.history import judge_and_index
from harness.scenario.loader import Scenario
from harness.slo.comparison import SampleSeries
from harness.slo.evaluate import evaluate
from harness.slo.infra import InfraEvent
from harness.slo.load_phases import load_phases
from harness.slo.model import PhaseWindow
from harness.slo.samples import gather_samples


def _locust(prefix: Path | None, warning: str) -> tuple[ClientHistory | None, LocustSummary | None]:
    if prefix is None or not stats_file(prefix, "stats_history").is_file():
        return None, None
    history = read_history(prefix)
    summary = (
        LocustSummary.of(read_stats(prefix), history, saturated_warning=warning)
        if stats_file(prefix, "stats").is_file()
        else None
    )
    return history, summary


def finish_run(
    scenario: Scenario,
    phases: Sequence[PhaseWindow],
    *,
    reports_dir: Path,
    source: PromQLSource | None,
    scrape_interval: float,
    locust_prefix: Path | None = None,
    load_warning: str = "",
    journal: Mapping[str, Any] | None = None,
    analyses: Sequence[AnalysisRun] = (),
    target: str = "local",
    versions: Mapping[str, str] | None = None,
    interrupted: bool = False,
    aborted: str | None = None,
    invalid: Sequence[str] = (),
    secrets: Iterable[str] = (),
    run_id: str | None = None,
    infra: Sequence[InfraEvent] = (),
    preflight: Sequence[PreflightQuery] = (),
    history_db: Path | None = None,
    sut_commit: str | None = None,
    exact_samples: Mapping[str, SampleSeries] | None = None,
    rollouts: Sequence[RolloutRecord] = (),
) -> tuple[Report, RunFiles]:
    """Judge the run and write its folder; `report.exit_code` is what the process exits with.

    `phases` are the windows as they happened (an interrupted run passes the ones it reached,
    the last one ending at the interrupt). Call it at least one scrape interval after the last
    window ended, so that Prometheus holds the window's final samples.
    """
    history, summary = _locust(locust_prefix, load_warning)
    latency: LatencyRecord | None = None
    try:
        latency = read_latency(locust_prefix)
    except CouldNotJudge as exc:
        invalid = [*invalid, f"load: {exc}"]
    evaluation = evaluate(
        scenario.harness, phases, source=source, client=latency, scrape_interval=scrape_interval
    )
    start = min((p.start for p in phases), default=0.0)
    end = max((p.end for p in phases), default=start)
    charts = collect_charts(
        scenario.harness,
        start,
        end,
        source=source,
        client=latency,
        step=scrape_interval,
        rate_window=max(scenario.harness.detect_window, 4 * scrape_interval),
    )
    report = build_report(
        run_id=run_id or new_run_id(scenario.name, reports_dir),
        scenario=scenario,
        phases=phases,
        evaluation=evaluation,
        scrape_interval=scrape_interval,
        target=target,
        analyses=analyses,
        locust=summary,
        load_phases=load_phases(scenario.harness, phases, latency),
        chaos=summarize_journal(journal) if journal is not None else None,
        charts=charts,
        tool_versions=tool_versions(**dict(versions or {})),
        interrupted=interrupted,
        aborted=aborted,
        invalid=invalid,
        expectations=check_expectations(scenario.harness, phases, source, step=scrape_interval),
        infra=infra,
        preflight=preflight,
        rollouts=rollouts,
    )
    samples = gather_samples(
        scenario.harness,
        start,
        end,
        source=source,
        client=history,
        scrape=scrape_interval,
        latency=latency,
        exact=exact_samples,
    )
    report = report.model_copy(update={"samples": samples, "sut_commit": sut_commit})
    return judge_and_index(
        report,
        reports_dir,
        history_db=history_db,
        write=lambda r: write_report(
            r, reports_dir, locust_prefix=locust_prefix, journal=journal, secrets=secrets
        ),
    )
