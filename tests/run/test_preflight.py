"""Checked before anything starts: every scenario query against the real Prometheus, the
reports folder, and who gets the target's credentials."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.errors import BadInput, ConfigError, CouldNotRun
from harness.prometheus.client import PrometheusClient
from harness.run.hosts import load_env, locust_env
from harness.run.preflight import check_writable, preflight, scenario_queries
from harness.run.target import StackHandle
from harness.scenario.loader import Scenario, load_scenario
from tests.promserver import serve_openmetrics
from tests.report.synthetic import write_scenario

ROOT = Path(__file__).resolve().parents[2]
SLI = {
    "type": "ratio",
    "bad": 'sum(increase(x{code=~"5.."}[{{window}}]))',
    "total": "sum(increase(x[{{window}}]))",
}
GOOD: dict[str, Any] = {
    "name": "order-availability",
    "sli": SLI,
    "objective": 0.99,
    "phases": ["baseline", "recovery"],
}
TYPO = {**GOOD, "name": "typo", "sli": {**SLI, "total": "sum(increase(x[{{window}}])"}}
RANGE = {
    "name": "gateway-p95",
    "sli": {"type": "threshold", "query": "histogram_quantile(0.95, y[{{window}}])"},
    "objective": 500,
}


def scenario_with(tmp: Path, *slos: dict[str, Any], **more: Any) -> Scenario:
    return load_scenario(write_scenario(tmp / "experiments", slos=list(slos), **more))


def test_queries_are_resolved_with_their_windows(tmp_path: Path) -> None:
    chart = {"title": "Rate", "query": "sum(rate(x[{{rate}}]))"}
    queries = [
        q.record for q in scenario_queries(scenario_with(tmp_path, GOOD, charts=[chart]), ROOT)
    ]
    assert [(q.owner, q.field) for q in queries] == [
        ("SLO order-availability", "sli.bad"),
        ("SLO order-availability", "sli.total"),
        ("SLO order-availability", "sli"),
        ("SLO order-availability", "sli (detection window)"),
        ("chart Rate", "query"),
    ]
    assert queries[1].query == "sum(increase(x[15s]))"  # the baseline and recovery windows
    assert queries[3].query.endswith("/ (sum(increase(x[4s]))))")  # 4 scrapes of 1 s
    assert queries[4].query == "sum(rate(x[4s]))"


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    text = '# TYPE x counter\nx_total{code="200"} 1 1700000000\n# EOF\n'
    with serve_openmetrics(tmp_path_factory.mktemp("prom"), text) as url:
        yield url


@pytest.mark.integration
def test_good_queries_pass_and_are_returned_as_sent(tmp_path: Path, prometheus: str) -> None:
    with PrometheusClient(prometheus) as client:
        checked = preflight(scenario_with(tmp_path, GOOD), client, ROOT)
    assert len(checked) == 4 and checked[1].query == "sum(increase(x[15s]))"


@pytest.mark.integration
@pytest.mark.parametrize(
    ("slo", "field", "says"),
    [
        (TYPO, "slos[0] (typo).sli.total", "unclosed left parenthesis"),
        (RANGE, "slos[0] (gateway-p95).sli.query", "expected type instant vector"),
    ],
)
def test_a_query_prometheus_rejects_is_bad_input_naming_slo_and_field(
    tmp_path: Path, prometheus: str, slo: dict[str, object], field: str, says: str
) -> None:
    scenario = scenario_with(tmp_path, slo)
    with PrometheusClient(prometheus) as client, pytest.raises(ConfigError) as caught:
        preflight(scenario, client, ROOT)
    message = str(caught.value)
    assert message.startswith(f"{scenario.path}: {field}: Prometheus rejects the query: ")
    assert says in message and "\n" not in message


@pytest.mark.integration
def test_an_analysis_query_is_checked_with_its_arguments_filled_in(
    tmp_path: Path, prometheus: str
) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\n"
        "spec:\n  args: [{name: service}]\n  metrics:\n  - name: errors\n"
        "    successCondition: result[0] < 1\n"
        "    provider: {prometheus: {query: 'sum(rate(x{service=\"{{args.service}}\"}[1m]'}}\n",
        encoding="utf-8",
    )
    analysis = {"template": str(template), "args": {"service": "orders"}}
    scenario = scenario_with(tmp_path, GOOD, analyses=[analysis])
    with PrometheusClient(prometheus) as client, pytest.raises(ConfigError) as caught:
        preflight(scenario, client, ROOT)
    assert f"analyses[0] ({template}): spec.metrics[0].provider.prometheus.query" in str(
        caught.value
    )
    assert 'sent: sum(rate(x{service="orders"}[1m]' in str(caught.value)


@pytest.mark.integration
def test_prometheus_unreachable_is_could_not_run(tmp_path: Path) -> None:
    from harness.process import free_port

    client = PrometheusClient(f"http://127.0.0.1:{free_port()}")
    with client, pytest.raises(CouldNotRun, match=r"pre-flight: SLO order-availability sli\.bad"):
        preflight(scenario_with(tmp_path, GOOD), client, ROOT)


def test_unwritable_out_folders_are_one_line(tmp_path: Path) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("x")
    with pytest.raises(BadInput, match=r"^--out .*a-file/reports: .*a-file is a file"):
        check_writable(afile / "reports", "--out")
    with pytest.raises(BadInput, match=r"^--out /proc/harness-reports: cannot write in /proc"):
        check_writable(Path("/proc/harness-reports"), "--out")
    check_writable(tmp_path / "new" / "deeper", "--out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # nothing created


@pytest.mark.integration
def test_run_with_an_unwritable_out_exits_2_before_anything(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "run", "smoke", "--out", "/proc/harness-reports"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HARNESS_STATE_DIR": str(tmp_path / "state")},
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "harness: --out /proc/harness-reports: cannot write in /proc (No such file or "
        "directory; choose another --out)"
    ]
    assert not (tmp_path / "state").exists(), "no stack was started"


def test_locust_gets_the_credentials_only_for_the_targets_own_gateway(tmp_path: Path) -> None:
    handle = StackHandle(
        tmp_path / "state", "http://127.0.0.1:8000", "http://127.0.0.1:9090", False
    )
    assert load_env("http://127.0.0.1:8000/", handle, tmp_path) == {
        "HARNESS_STATE_DIR": str(tmp_path / "state")
    }
    elsewhere = load_env("http://127.0.0.1:8001", handle, tmp_path)
    assert elsewhere["HARNESS_API_KEY"] == elsewhere["HARNESS_JWT_SECRET"] == ""
    assert Path(elsewhere["HARNESS_STATE_DIR"]) == tmp_path / "no-credentials"
    assert not any(Path(elsewhere["HARNESS_STATE_DIR"]).iterdir())


def test_the_scenarios_load_env_reaches_locust_but_never_its_credentials(tmp_path: Path) -> None:
    handle = StackHandle(
        tmp_path / "state", "http://127.0.0.1:8000", "http://127.0.0.1:9090", False
    )
    asked = {"LOAD_THINK_SCALE": "0.3", "HARNESS_API_KEY": "mine", "HARNESS_STATE_DIR": "/x"}
    own = locust_env(asked, "http://127.0.0.1:8000", handle, tmp_path)
    assert own["LOAD_THINK_SCALE"] == "0.3"
    assert own["HARNESS_STATE_DIR"] == str(tmp_path / "state")  # the target's, not the file's
    elsewhere = locust_env(asked, "http://127.0.0.1:8001", handle, tmp_path)
    assert elsewhere["LOAD_THINK_SCALE"] == "0.3" and elsewhere["HARNESS_API_KEY"] == ""
