"""report.json round trip and schema, the run folder, redaction, JUnit and Markdown views."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.errors import BadInput
from harness.report import (
    SCHEMA_VERSION,
    Report,
    new_run_id,
    read_report,
    rejudge,
    summarize_journal,
    write_report,
)
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown
from harness.scenario import Phase
from harness.slo import RunVerdict, Verdict
from tests.report.synthetic import T0, synthetic_report


@pytest.fixture
def report(tmp_path: Path) -> Report:
    return synthetic_report(tmp_path)


def test_round_trip_keeps_everything_including_nan(report: Report) -> None:
    m = report.measurements[0].model_copy(update={"value": math.nan})
    original = report.model_copy(update={"measurements": (m, *report.measurements[1:])})
    text = original.model_dump_json()
    again = Report.model_validate_json(text)
    assert math.isnan(again.measurements[0].value or 0.0)
    assert again.model_dump_json() == text
    data = json.loads(text)  # strict JSON: NaN travels as a string
    assert data["schema_version"] == SCHEMA_VERSION == 1
    assert data["kind"] == "harness-report"
    assert data["scenario"]["harness"]["phases"]["baseline"] == "15s"


def test_report_holds_what_a_reader_needs(report: Report) -> None:
    assert [p.phase for p in report.phases] == list(Phase)
    fault = next(f for f in report.resilience.figures if f.slo == "order-availability")
    assert (fault.time_to_detect, fault.time_to_recover, fault.moved) == (1.0, 1.0, True)
    assert report.resilience.blast_radius.services == ("client", "order-service")
    assert report.locust is not None and report.locust.requests == 510
    assert {c.key for c in report.charts} == {
        "request-rate",
        "error-ratio",
        "p95-latency",
        "breaker-state",
        "ready-pods",
        "client-latency",
    }
    rate = next(c for c in report.charts if c.key == "request-rate")
    assert rate.series[0].name == "client (load generator)"
    assert rate.error == "no Prometheus to ask"
    # exact per second: the fault's seconds hold one 300 ms request in ten
    latency = next(c for c in report.charts if c.key == "client-latency")
    p99 = dict(next(s for s in latency.series if s.name == "p99").samples)
    p50 = dict(next(s for s in latency.series if s.name == "p50").samples)
    assert p99[T0 + 30] == pytest.approx(300, rel=1e-3)
    assert p99[T0 + 20] == pytest.approx(76, rel=1e-3)
    assert p50[T0 + 30] == pytest.approx(56, rel=1e-3)
    # each judged phase says how many requests its client figures rest on
    phases = {p.phase: p for p in report.load_phases}
    assert phases[Phase.BASELINE].requests == 150 and phases[Phase.BASELINE].model == "closed"
    counts = {c.slo: c.requests for c in phases[Phase.BASELINE].slos}
    assert counts == {"client-errors": 150}
    assert (report.verdict, report.exit_code) == (RunVerdict.PASSED, 0)


def test_run_folder_layout_and_latest(tmp_path: Path, report: Report) -> None:
    reports = tmp_path / "reports"
    journal = {
        "status": "completed",
        "deviated": False,
        "experiment": {"title": "t"},
        "run": [
            {
                "activity": {"name": "abort-payment", "type": "action"},
                "status": "succeeded",
                "start": "2025-11-24T16:00:25",
                "duration": 10.0,
            }
        ],
        "rollbacks": [
            {
                "activity": {"name": "remove-abort"},
                "status": "failed",
                "exception": ["Traceback...", "ApiException: 404\n"],
            }
        ],
    }
    written, files = write_report(
        report.model_copy(update={"chaos": summarize_journal(journal)}),
        reports,
        locust_prefix=tmp_path / "locust" / "run",
        journal=journal,
    )
    folder = reports / report.run_id
    assert files.folder == folder
    assert sorted(p.name for p in folder.iterdir()) == [
        "journal.json",
        "junit.xml",
        "locust",
        "report.html",
        "report.json",
        "summary.md",
    ]
    assert (folder / "locust" / "locust_stats_history.csv").is_file()
    assert written.files["journal"] == "journal.json"
    assert (reports / "latest").resolve() == folder.resolve()
    assert written.chaos is not None and written.chaos.rollbacks[0].error == "ApiException: 404"
    second = report.model_copy(update={"run_id": new_run_id("synthetic", reports, T0 + 60)})
    write_report(second, reports)
    assert (reports / "latest").resolve() == (reports / second.run_id).resolve()
    assert read_report(folder) == written


def test_run_ids_never_collide(tmp_path: Path) -> None:
    first = new_run_id("smoke", tmp_path, T0)
    (tmp_path / first).mkdir()
    assert new_run_id("smoke", tmp_path, T0) == f"{first}-2"
    assert first == "20251124T160000Z-smoke"


def test_secrets_never_reach_any_file(tmp_path: Path) -> None:
    secret = "s3cr3t-admin-token-value"
    base = synthetic_report(
        tmp_path,
        scenario_overrides={
            "load": {
                "locustfile": "l.py",
                "users": 1,
                "spawn_rate": 1,
                "host": "http://admin:hunter2pass@127.0.0.1:8000",
            },
            "analyses": [{"template": "t.yaml", "args": {"api-key": "k-123456", "svc": secret}}],
        },
    )
    journal = {
        "status": "completed",
        "experiment": {"secrets": {"kong": {"admin": "plain-value-42"}}},
        "run": [{"activity": {"name": "a"}, "output": f"Authorization: Bearer {secret}"}],
    }
    _, files = write_report(
        base,
        tmp_path / "reports",
        journal=journal,
        secrets=[secret],
        locust_prefix=tmp_path / "locust" / "run",
    )
    for path in files.folder.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            for leak in (secret, "hunter2pass", "k-123456", "plain-value-42"):
                assert leak not in text, (path.name, leak)
    saved = read_report(files.json)
    assert saved.scenario.harness.analyses[0].args["api-key"] == "***"
    assert saved.scenario.harness.load.host == "http://***@127.0.0.1:8000"


def _write(path: Path, data: object) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", r"line 1: not valid JSON"),
        ({"some": "thing"}, r"not a harness report"),
        ({"kind": "harness-report", "schema_version": 99}, r"schema_version: 99 is not supported"),
        ({"kind": "harness-report", "schema_version": 1}, r"run_id: Field required"),
    ],
)
def test_bad_report_files_are_one_line(tmp_path: Path, content: object, message: str) -> None:
    with pytest.raises(BadInput, match=message) as info:
        read_report(_write(tmp_path / "report.json", content))
    assert "\n" not in str(info.value)


def test_missing_report_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"nope\.json: no such file"):
        read_report(tmp_path / "nope.json")


def test_rejudge_reproduces_and_follows_a_newer_policy(report: Report) -> None:
    assert rejudge(report) == report
    stricter = report.scenario.harness.model_copy(
        update={
            "slos": tuple(
                s.model_copy(update={"objective": 60.0}) if s.name == "gateway-p95" else s
                for s in report.scenario.harness.slos
            )
        }
    )
    judged = rejudge(report, stricter)
    assert (judged.verdict, judged.exit_code) == (RunVerdict.FAILED, 1)
    assert any(r.startswith("SLO gateway-p95 in baseline: failed") for r in judged.reasons)


def test_rejudge_marks_an_slo_the_run_never_measured(report: Report) -> None:
    extra = report.scenario.harness.slos[1].model_copy(update={"name": "new-one"})
    ext = report.scenario.harness.model_copy(
        update={"slos": (*report.scenario.harness.slos, extra)}
    )
    judged = rejudge(report, ext)
    assert judged.exit_code == 3
    assert any("new-one" in r and "not measured in this run" in r for r in judged.reasons)


def test_junit_has_one_case_per_slo_and_analysis_metric(tmp_path: Path) -> None:
    failing = synthetic_report(tmp_path, recovery=0.95, analysis_phase="Error", no_data=False)
    root = ET.fromstring(render_junit(failing))
    cases = root.findall(".//testcase")
    assert len(cases) == 3 + 1
    by_name = {c.get("name", "").split(" ")[0]: c for c in cases}
    assert by_name["order-availability"].find("failure") is not None
    assert by_name["gateway-p95"].find("failure") is None
    assert by_name["success-rate"].find("error") is not None
    assert root.get("failures") == "1" and root.get("errors") == "1"


def test_junit_inconclusive_is_an_error_not_a_skip(tmp_path: Path) -> None:
    root = ET.fromstring(render_junit(synthetic_report(tmp_path, no_data=True)))
    case = next(c for c in root.iter("testcase") if c.get("name", "").startswith("order-avail"))
    error = case.find("error")
    assert error is not None and "no data" in error.get("message", "")


def test_markdown_summary_fits_a_ci_job_summary(tmp_path: Path) -> None:
    text = render_markdown(synthetic_report(tmp_path, recovery=0.95))
    assert text.startswith("## ❌ failed: Synthetic scenario")
    assert "| order-availability | ≥ 0.99 | ✅ 0.999 | · | ❌ 0.95 |" in text
    assert "Blast radius (services whose SLOs moved under the fault): client, order-service" in text
    assert len(text.encode()) < 64 * 1024


def test_verdicts_apply_only_in_each_slos_phases(report: Report) -> None:
    phases = {v.phase for v in report.verdicts if v.slo == "order-availability"}
    assert phases == {Phase.BASELINE, Phase.RECOVERY}
    assert all(v.verdict is Verdict.PASSED for v in report.verdicts)
