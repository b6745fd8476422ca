"""`harness gate` and `harness report` as a CI job runs them: a fresh interpreter, exit codes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.process import spawn, stop
from harness.report import Report, write_report
from tests.report.synthetic import synthetic_report, write_scenario

pytestmark = pytest.mark.integration  # every test runs the CLI in a child interpreter


def run(argv: list[str], tmp: Path) -> tuple[int, str]:
    log = tmp / "cli.log"
    log.unlink(missing_ok=True)
    proc = spawn(argv, log_path=log)
    try:
        rc = proc.wait(timeout=60)
    finally:
        stop(proc)
    return rc, log.read_text(encoding="utf-8")


def saved(tmp: Path, report: Report) -> Path:
    _, files = write_report(report, tmp / "reports")
    return files.json


@pytest.mark.parametrize(
    ("kwargs", "code", "first_line"),
    [
        ({}, 0, "PASSED: synthetic"),
        ({"recovery": 0.95}, 1, "FAILED: synthetic"),
        ({"no_data": True}, 3, "COULD NOT JUDGE: synthetic"),
        ({"analysis_phase": "Failed"}, 1, "FAILED: synthetic"),
    ],
    ids=["passed", "failed", "no-data", "analysis-failed"],
)
def test_gate_exits_like_run(tmp_path, harness_cli, kwargs, code, first_line) -> None:
    report = saved(tmp_path, synthetic_report(tmp_path, **kwargs))
    junit = tmp_path / "out" / "junit.xml"
    rc, out = run([*harness_cli, "gate", str(report), "--junit", str(junit)], tmp_path)
    assert rc == code, out
    assert out.startswith(first_line)
    assert ET.parse(junit).getroot().tag == "testsuites"


def test_gate_names_the_failing_slo(tmp_path: Path, harness_cli: list[str]) -> None:
    report = saved(tmp_path, synthetic_report(tmp_path, recovery=0.95))
    rc, out = run([*harness_cli, "gate", str(report.parent)], tmp_path)
    assert rc == 1
    assert "SLO order-availability in recovery: failed (0.95 < 0.99" in out


def test_gate_under_a_newer_scenario(tmp_path: Path, harness_cli: list[str]) -> None:
    report = saved(tmp_path, synthetic_report(tmp_path))
    slos = [
        {
            "name": "gateway-p95",
            "service": "gateway",
            "objective": 50,
            "unit": "ms",
            "sli": {"type": "threshold", "query": "q[{{window}}]"},
        }
    ]
    stricter = write_scenario(tmp_path / "new", slos=slos)
    rc, out = run([*harness_cli, "gate", str(report), "--scenario", str(stricter)], tmp_path)
    assert rc == 1, out
    assert "SLO gateway-p95 in baseline: failed (80 ms > 50 ms" in out


@pytest.mark.parametrize("content", ["{broken", '{"kind": "harness-report", "schema_version": 7}'])
def test_bad_report_is_one_line_exit_2(tmp_path, harness_cli, content) -> None:
    bad = tmp_path / "report.json"
    bad.write_text(content, encoding="utf-8")
    for command in ("gate", "report"):
        rc, out = run([*harness_cli, command, str(bad)], tmp_path)
        assert rc == 2, out
        assert len(out.strip().splitlines()) == 1
        assert out.startswith(f"harness: {bad}: ")
        assert "Traceback" not in out


def test_report_rerenders_html_and_markdown(tmp_path: Path, harness_cli: list[str]) -> None:
    report = saved(tmp_path, synthetic_report(tmp_path, recovery=0.95))
    html, md = report.parent / "report.html", report.parent / "summary.md"
    html.unlink()
    md.write_text("stale", encoding="utf-8")
    rc, out = run([*harness_cli, "report", str(report)], tmp_path)
    assert rc == 0, out
    assert "<svg" in html.read_text(encoding="utf-8")
    assert md.read_text(encoding="utf-8").startswith("## ❌ failed")


def test_gate_with_a_broken_scenario_lists_each_mistake(
    tmp_path: Path, harness_cli: list[str]
) -> None:
    report = saved(tmp_path, synthetic_report(tmp_path))
    broken = write_scenario(
        tmp_path / "bad",
        phases={"baseline": "soon", "recovery": "15s"},
        gate={"fail_on": {"slo": ["never"]}},
    )
    rc, out = run([*harness_cli, "gate", str(report), "--scenario", str(broken)], tmp_path)
    assert rc == 2, out
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"harness: {broken}: extensions[harness].phases.baseline: ")
    assert lines[1].startswith(f"{broken}: extensions[harness].gate.fail_on.slo[0]: ")


def test_report_and_gate_use_one_judge_on_an_edited_report(
    tmp_path: Path, harness_cli: list[str]
) -> None:
    """An edited verdict does not survive: both commands re-judge the evidence."""
    import json

    report = saved(tmp_path, synthetic_report(tmp_path, recovery=0.95))  # recovery fails
    data = json.loads(report.read_text(encoding="utf-8"))
    data.update(verdict="passed", exit_code=0, reasons=[])
    report.write_text(json.dumps(data), encoding="utf-8")
    gate_rc, gate_out = run([*harness_cli, "gate", str(report)], tmp_path)
    rc, out = run([*harness_cli, "report", str(report)], tmp_path)
    assert gate_rc == 1 and gate_out.startswith("FAILED"), gate_out
    assert rc == 0, out
    assert "records passed (exit 0) but its evidence judges failed (exit 1)" in out
    assert "verdict: failed (exit 1), re-judged" in out
    md = report.parent / "summary.md"
    assert md.read_text(encoding="utf-8").startswith("## ❌ failed")


def test_a_harness_part_that_broke_in_a_judged_window_is_exit_3_for_gate_and_report(
    tmp_path: Path, harness_cli: list[str]
) -> None:
    import json

    report = saved(tmp_path, synthetic_report(tmp_path, recovery=0.95))  # failed, by itself
    data = json.loads(report.read_text(encoding="utf-8"))
    fault = next(p for p in data["phases"] if p["phase"] == "fault")
    at = (fault["start"] + fault["end"]) / 2
    data["infra"] = [{"part": "mesh", "at": at, "what": "exited (pid 7, code -9)"}]
    report.write_text(json.dumps(data), encoding="utf-8")
    gate_rc, gate_out = run([*harness_cli, "gate", str(report)], tmp_path)
    assert gate_rc == 3 and gate_out.startswith("COULD NOT JUDGE"), gate_out
    assert "  - mesh exited (pid 7, code -9) at " in gate_out
    assert "inside the fault window" in gate_out
    rc, out = run([*harness_cli, "report", str(report)], tmp_path)
    assert rc == 0 and "verdict: inconclusive (exit 3), re-judged" in out, out
