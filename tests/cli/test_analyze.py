"""`harness analyze` end to end: real subprocess, real Prometheus with backfilled data."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.analysis.backfill import Backfilled, backfilled_prometheus
from tests.waiting import eventually

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SUCCESS_RATE = ROOT / "deploy" / "kubernetes" / "analysistemplate-success-rate.yaml"


@pytest.fixture(scope="module")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backfilled]:
    with backfilled_prometheus(tmp_path_factory.mktemp("prom")) as served:
        yield served


def analyze(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", "analyze", *argv],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip


def window(prom: Backfilled, start: float = 10, end: float = 20) -> list[str]:
    return ["--prometheus", prom.url, "--start", str(prom.at(start)), "--end", str(prom.at(end))]


def template(tmp_path: Path, body: str, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\n" + body,
        encoding="utf-8",
    )
    return path


class TestShippedTemplate:
    def test_healthy_service_passes(self, prom: Backfilled) -> None:
        out = analyze(str(SUCCESS_RATE), "--arg", "service-name=user-service", *window(prom))
        assert out.returncode == 0, out.stdout + out.stderr
        assert out.stdout.count("success-rate  [0.99") == 5
        assert out.stdout.splitlines()[-1] == "run: Successful"

    def test_failing_service_fails_on_the_second_bad_minute(self, prom: Backfilled) -> None:
        out = analyze(str(SUCCESS_RATE), "--arg", "service-name=order-service", *window(prom))
        assert out.returncode == 1, out.stdout + out.stderr
        assert out.stdout.splitlines()[-1] == (
            'run: Failed: Metric "success-rate" assessed Failed due to '
            "failed (2) > failureLimit (1)"
        )

    def test_no_traffic_is_inconclusive_not_a_pass(self, prom: Backfilled) -> None:
        out = analyze(str(SUCCESS_RATE), "--arg", "service-name=nobody", *window(prom), "--json")
        assert out.returncode == 3, out.stdout + out.stderr
        doc = json.loads(out.stdout)
        assert doc["phase"] == "Inconclusive"
        assert doc["metrics"][0]["measurements"] == [
            {"time": _rfc3339(prom.at(10)), "value": "[]", "phase": "Inconclusive"}
        ]

    def test_templated_address_is_honoured_without_override(self, prom: Backfilled) -> None:
        out = analyze(
            str(SUCCESS_RATE), "--arg", "service-name=user-service",
            "--arg", f"prometheus-address={prom.url}",
            "--start", str(prom.at(10)), "--end", str(prom.at(10)),
        )  # fmt: skip
        assert out.returncode == 3  # one of five measurements: the window is too short
        assert "success-rate  [0.99" in out.stdout
        assert "window ended before these metrics finished" in out.stdout


def _rfc3339(ts: float) -> str:
    from harness.analysis.render import rfc3339

    return rfc3339(ts)


def test_error_run_json_shape(prom: Backfilled, tmp_path: Path) -> None:
    path = template(
        tmp_path,
        "spec:\n  metrics:\n  - name: missing\n    successCondition: result[0] > 1\n"
        "    provider:\n      prometheus:\n        query: 'test_ratio{case=\"missing\"}'\n",
    )
    out = analyze(str(path), *window(prom), "--json")
    assert out.returncode == 3, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) >= {"phase", "metrics"}
    assert doc["phase"] == "Error"
    assert doc["message"].startswith('Metric "missing" assessed Error due to consecutiveErrors (5)')
    (metric,) = doc["metrics"]
    assert set(metric) >= {"name", "phase", "message", "measurements"}
    assert (metric["name"], metric["phase"]) == ("missing", "Error")
    assert [m["phase"] for m in metric["measurements"]] == ["Error"] * 5
    assert {"time", "value", "phase"} <= set(metric["measurements"][0])
    assert metric["measurements"][1]["time"] == _rfc3339(prom.at(10) + 10)


def test_rfc3339_window_and_dry_run(prom: Backfilled, tmp_path: Path) -> None:
    path = template(
        tmp_path,
        "spec:\n  dryRun: [{metricName: shadow}]\n  metrics:\n"
        "  - {name: shadow, successCondition: 'result[0] > 1',"
        "     provider: {prometheus: {query: 'vector(0)'}}}\n"
        "  - {name: real, successCondition: 'result[0] > 0',"
        "     provider: {prometheus: {query: 'vector(1)'}}}\n",
    )
    out = analyze(
        str(path), "--prometheus", prom.url,
        "--start", _rfc3339(prom.at(10)), "--end", _rfc3339(prom.at(11)),
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "metric shadow (dry run): Failed" in out.stdout


def test_live_run_with_scaled_intervals(prom: Backfilled, tmp_path: Path) -> None:
    path = template(
        tmp_path,
        "spec:\n  metrics:\n  - {name: up, count: 2, interval: 10s,"
        " successCondition: 'result[0] == 1', provider: {prometheus: {query: 'vector(1)'}}}\n",
    )
    out = analyze(str(path), "--prometheus", prom.url, "--interval-scale", "0.05", "--json")
    assert out.returncode == 0, out.stderr
    measurements = json.loads(out.stdout)["metrics"][0]["measurements"]
    assert [m["value"] for m in measurements] == ["[1]", "[1]"]


@pytest.mark.parametrize(
    ("body", "argv", "expected"),
    [
        ("spec: [unclosed", [], "t.yaml: line"),
        ("spec:\n  metrics:\n  - {name: m, sucessCondition: x,"
         " provider: {prometheus: {query: up}}}\n",
         [], "spec.metrics[0].sucessCondition: Extra inputs are not permitted"),
        ("spec:\n  args: [{name: svc}]\n  metrics:\n"
         "  - {name: m, provider: {prometheus: {query: up}}}\n",
         [], "spec.args[0] (svc): argument has no value (pass --arg svc=VALUE)"),
        ("spec:\n  metrics:\n  - {name: m, count: 2, provider: {prometheus: {query: up}}}\n",
         [], "Analysis spec invalid: metrics[0]: interval must be specified when count > 1"),
        ("spec:\n  metrics:\n  - {name: m, provider: {prometheus: {query: up}}}\n",
         ["--arg", "nope=1"], "--arg: nope: the template declares no such argument"),
        ("spec:\n  metrics:\n  - {name: m, provider: {prometheus: {query: up}}}\n",
         ["--start", "yesterday", "--end", "1"], "--start: 'yesterday' is not a time"),
        ("spec:\n  metrics:\n  - {name: m, successCondition: 'median(result) > 1',"
         " provider: {prometheus: {query: up}}}\n",
         [], "successCondition: not supported by the harness evaluator: builtin `median`"),
    ],
)  # fmt: skip
def test_bad_input_is_one_clear_line(
    tmp_path: Path, body: str, argv: list[str], expected: str
) -> None:
    out = analyze(str(template(tmp_path, body)), *argv)
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert expected in lines[0]
    assert "Traceback" not in out.stderr


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    out = analyze(str(tmp_path / "nope.yaml"))
    assert out.returncode == 2
    assert (
        out.stderr.strip()
        == f"harness: {tmp_path / 'nope.yaml'}: no such file (give a manifest file)"
    )


def test_ctrl_c_terminates_a_live_run_and_exits_130(prom: Backfilled, tmp_path: Path) -> None:
    import os
    import signal

    from harness.process import spawn, stop

    path = template(
        tmp_path,
        "spec:\n  metrics:\n  - {name: bg, interval: 10s, successCondition: 'result[0] == 1',"
        " provider: {prometheus: {query: 'vector(1)'}}}\n",
    )
    log = tmp_path / "live.log"
    argv = [sys.executable, "-m", "harness", "analyze", str(path), "--prometheus", prom.url]
    proc = spawn([*argv, "--interval-scale", "0.02"], cwd=ROOT, log_path=log)
    try:
        eventually(
            lambda: log.read_text().count("  bg  [1]  Successful") >= 2,
            timeout=30,
            message=lambda: f"fewer than two measurements:\n{log.read_text()}",
        )
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=10) == 130
    finally:
        stop(proc)
    text = log.read_text()
    assert "note: interrupted: run terminated" in text
    assert "run: Successful: Run Terminated" in text
