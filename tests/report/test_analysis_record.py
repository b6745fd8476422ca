"""An Argo analysis replayed by `harness.analysis` lands in the report and in the verdict.

Runs once `harness.analysis` is part of the tree (another branch until the merge).
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.prometheus.client import Clients, PrometheusClient
from harness.report import AnalysisRun, read_report
from harness.report.junit import render_junit
from harness.run.finish import finish_run
from harness.scenario import Phase, load_scenario
from harness.slo import PhaseWindow, RunVerdict, span
from tests.slo.promhttp import backfilled_prometheus, smoke_metrics

analysis = pytest.importorskip("harness.analysis")
render = pytest.importorskip("harness.analysis.render")
pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
T0 = float(int(time.time()) - 1800)
TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: success-rate}
spec:
  args:
    - name: service-name
    - name: prometheus-address
  metrics:
    - name: success-rate
      interval: 3s
      count: 3
      failureLimit: 0
      successCondition: len(result) > 0 && result[0] >= 0.95
      failureCondition: len(result) > 0 && result[0] < 0.95
      provider:
        prometheus:
          address: "{{args.prometheus-address}}"
          query: >-
            (sum(rate(istio_requests_total{reporter="destination",
            destination_service_name="{{args.service-name}}",response_code!~"5.*"}[4s]))
            or vector(0)) / sum(rate(istio_requests_total{reporter="destination",
            destination_service_name="{{args.service-name}}"}[4s]))
"""
WINDOWS = [
    PhaseWindow(phase=Phase.BASELINE, start=T0 + 10, end=T0 + 25),
    PhaseWindow(phase=Phase.FAULT, start=T0 + 25, end=T0 + 35),
    PhaseWindow(phase=Phase.RECOVERY, start=T0 + 35, end=T0 + 50),
]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusClient]:
    with backfilled_prometheus(tmp_path_factory.mktemp("prom"), smoke_metrics(T0)) as source:
        yield source


def replayed(tmp: Path, url: str, phases: tuple[Phase, ...]) -> AnalysisRun:
    path = tmp / "success-rate.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    args = {"service-name": "order-service", "prometheus-address": url}
    state = analysis.AnalysisRunState(
        analysis.prepare_checked(analysis.load_template(path), args, str(path))
    )
    window = span(WINDOWS, phases)
    assert window is not None
    clients = Clients()
    try:
        notes = analysis.replay(state, clients, start=window[0], end=window[1])
    finally:
        clients.close()
    return AnalysisRun.from_analyze_json(
        render.to_json(state, notes),
        template=str(path.name),
        args={"service-name": "order-service"},
        mode="replay",
        start=window[0],
        end=window[1],
    )


@pytest.mark.parametrize(
    ("phases", "verdict", "code"),
    [((Phase.BASELINE,), RunVerdict.PASSED, 0), ((Phase.FAULT,), RunVerdict.FAILED, 1)],
    ids=["baseline-successful", "fault-failed"],
)
def test_analysis_phase_decides_with_the_slos(
    tmp_path: Path,
    prometheus: PrometheusClient,
    phases: tuple[Phase, ...],
    verdict: RunVerdict,
    code: int,
) -> None:
    run = replayed(tmp_path, prometheus.base_url, phases)
    scenario = load_scenario("smoke", experiments_dir=ROOT / "experiments")
    # the SLOs Prometheus answers (this test has no Locust data); all of them pass
    ext = scenario.harness.model_copy(
        update={"slos": tuple(s for s in scenario.harness.slos if s.sli.type != "client")}
    )
    scenario = type(scenario)(
        scenario.name, scenario.path, scenario.title, ext, scenario.experiment
    )
    report, files = finish_run(
        scenario,
        WINDOWS,
        reports_dir=tmp_path / "reports",
        source=prometheus,
        scrape_interval=1.0,
        analyses=[run],
    )
    measured = run.metrics[0].measurements
    assert len(measured) == run.metrics[0].count >= 2
    assert measured[-1].phase == run.phase  # Argo: the last measurement decided it
    saved = read_report(files.json)
    assert saved.analyses[0] == run
    analysis_reasons = [r for r in report.reasons if r.startswith("analysis ")]
    if verdict is RunVerdict.FAILED:
        assert analysis_reasons == [
            "analysis success-rate.yaml: Failed (Argo would abort the rollout)"
        ]
        case = ET.fromstring(render_junit(saved)).find(".//testcase[@name='success-rate']")
        assert case is not None and case.find("failure") is not None
    else:
        assert analysis_reasons == []
    assert (report.verdict, report.exit_code) == (verdict, code), report.reasons
    assert run.phase == {RunVerdict.PASSED: "Successful", RunVerdict.FAILED: "Failed"}[verdict]
