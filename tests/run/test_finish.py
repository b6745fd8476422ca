"""`finish_run`: what `harness run` calls at the end, against a real Prometheus and real files."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.prometheus.client import PrometheusClient
from harness.report import AnalysisMetric, AnalysisRun, read_report
from harness.run.finish import finish_run
from harness.scenario import Phase, load_scenario
from harness.slo import PhaseWindow, RunVerdict, Verdict
from tests.report.synthetic import write_latency, write_locust
from tests.slo.promhttp import backfilled_prometheus, smoke_metrics

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
T0 = float(int(time.time()) - 1800)
WINDOWS = [
    PhaseWindow(phase=Phase.WARMUP, start=T0, end=T0 + 10),
    PhaseWindow(phase=Phase.BASELINE, start=T0 + 10, end=T0 + 25),
    PhaseWindow(phase=Phase.FAULT, start=T0 + 25, end=T0 + 35),
    PhaseWindow(phase=Phase.RECOVERY, start=T0 + 35, end=T0 + 50),
]
ANALYSIS = AnalysisRun(
    template="deploy/kubernetes/analysistemplate-success-rate.yaml",
    args={"service-name": "order-service"},
    phase="Successful",
    metrics=(AnalysisMetric(name="success-rate", phase="Successful"),),
)
JOURNAL = {
    "status": "completed",
    "deviated": False,
    "experiment": {"title": "Smoke", "secrets": {"admin": {"token": "tok-0123456789"}}},
    "run": [{"activity": {"name": "abort-10pct-of-payment-calls"}, "status": "succeeded"}],
    "rollbacks": [{"activity": {"name": "remove-payment-abort"}, "status": "succeeded"}],
}


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusClient]:
    with backfilled_prometheus(tmp_path_factory.mktemp("prom"), smoke_metrics(T0)) as source:
        yield source


def test_smoke_run_is_judged_and_written(tmp_path: Path, prometheus: PrometheusClient) -> None:
    scenario = load_scenario("smoke", experiments_dir=ROOT / "experiments")
    prefix = tmp_path / "locust" / "run"
    prefix.parent.mkdir()
    write_locust(prefix, t0=T0)
    write_latency(prefix, t0=T0)
    report, files = finish_run(
        scenario,
        WINDOWS,
        reports_dir=tmp_path / "reports",
        source=prometheus,
        scrape_interval=1.0,
        locust_prefix=prefix,
        journal=JOURNAL,
        analyses=[ANALYSIS],
        versions={"prometheus": "2.42.0"},
        secrets=["tok-0123456789"],
    )
    assert (report.verdict, report.exit_code) == (RunVerdict.PASSED, 0), report.reasons
    assert {v.verdict for v in report.verdicts} == {Verdict.PASSED}
    assert report.resilience.blast_radius.services == ("client", "gateway", "order-service")
    assert report.tool_versions["prometheus"] == "2.42.0"
    assert report.chaos is not None and report.chaos.rollbacks[0].status == "succeeded"
    assert (tmp_path / "reports" / "latest").resolve() == files.folder.resolve()
    assert read_report(files.json) == report
    assert "tok-0123456789" not in (files.folder / "journal.json").read_text(encoding="utf-8")
    assert json.loads(files.json.read_text(encoding="utf-8"))["files"]["locust_stats"] == (
        "locust/locust_stats.csv"
    )
    rate = next(c for c in report.charts if c.key == "request-rate")
    assert {s.name for s in rate.series} == {"all", "client (load generator)"}
    # the client SLIs rest on the histograms, which travel with the report
    assert (files.folder / "locust" / "locust_latency.jsonl").is_file()
    assert [p.phase for p in report.load_phases] == [Phase.BASELINE, Phase.FAULT, Phase.RECOVERY]


def test_interrupted_run_still_writes_a_partial_report(
    tmp_path: Path, prometheus: PrometheusClient
) -> None:
    scenario = load_scenario("smoke", experiments_dir=ROOT / "experiments")
    reached = [*WINDOWS[:2], WINDOWS[2].model_copy(update={"end": T0 + 28})]
    report, files = finish_run(
        scenario,
        reached,
        reports_dir=tmp_path / "reports",
        source=prometheus,
        scrape_interval=1.0,
        interrupted=True,
    )
    assert (report.verdict, report.exit_code) == (RunVerdict.INTERRUPTED, 130)
    assert files.html.is_file() and files.junit.is_file()
    short = [v for v in report.verdicts if v.phase is Phase.FAULT and v.slo == "order-p95-latency"]
    assert short[0].verdict is Verdict.INCONCLUSIVE  # 3 s of fault: too short for rate()
