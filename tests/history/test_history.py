"""The run store, comparisons between runs and the regression gate, on synthetic reports."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from harness.cli.app import app
from harness.errors import BadInput
from harness.history.index import import_folders
from harness.history.store import MIGRATIONS, SCHEMA_VERSION, RunStore
from harness.report.layout import write_report
from harness.report.model import Report
from harness.run.history import judge_and_index
from harness.slo.comparison import SampleSeries, ShiftClass
from tests.report.synthetic import T0, synthetic_report

GATE = {
    "gate": {
        "regression": {"slis": [{"slo": "gateway-p95", "min_effect": "10ms"}], "confidence": 0.95}
    }
}


def _run(
    tmp: Path,
    n: int,
    *,
    p95: float = 80.0,
    seed: int = 0,
    overrides: dict[str, Any] | None = None,
    fail: bool = False,
) -> Report:
    """Run number `n` (an hour apart), per-second gateway p95 around `p95` ms."""
    base = synthetic_report(tmp / f"src{n}", scenario_overrides=overrides, fail_in_recovery=fail)
    dt = 3600.0 * n
    rng = random.Random(seed)
    points = tuple((T0 + s + dt, p95 + rng.gauss(0, 3)) for s in range(0, 51))
    phases = tuple(
        p.model_copy(update={"start": p.start + dt, "end": p.end + dt}) for p in base.phases
    )
    return base.model_copy(
        update={
            "run_id": f"run-{n}",
            "created": T0 + dt + 60,
            "phases": phases,
            "samples": {
                "gateway-p95": SampleSeries(
                    source="prometheus", step=1.0, window=2.0, samples=points
                )
            },
        }
    )


def _finish(report: Report, reports: Path) -> Report:
    written, _ = judge_and_index(
        report, reports, history_db=None, write=lambda r: write_report(r, reports)
    )
    return written


def test_a_latency_regression_fails_the_gate_naming_sli_phase_shift_and_interval(
    tmp_path: Path,
) -> None:
    reports = tmp_path / "reports"
    first = _finish(_run(tmp_path, 1, overrides=GATE), reports)
    assert first.exit_code == 0
    assert first.compared_with is not None and first.compared_with.run_id is None
    assert "no earlier passing run" in first.compared_with.note
    slow = _finish(_run(tmp_path, 2, p95=130.0, seed=2, overrides=GATE), reports)
    assert slow.exit_code == 1
    assert slow.compared_with is not None and slow.compared_with.run_id == "run-1"
    reason = next(r for r in slow.reasons if r.startswith("regression"))
    assert "gateway-p95 in baseline: higher, shift +" in reason and "[" in reason and "ms" in reason
    same = _finish(_run(tmp_path, 3, seed=3, overrides=GATE), reports)
    assert same.compared_with is not None and same.compared_with.run_id == "run-1"  # last pass
    assert same.exit_code == 0
    assert {s.result for s in same.compared_with.shifts} == {ShiftClass.NO_DIFFERENCE}
    html = (reports / "run-3" / "report.html").read_text(encoding="utf-8")
    assert "id='compared-with'" in html and 'class="previous"' in html
    md = (reports / "run-3" / "summary.md").read_text(encoding="utf-8")
    assert "### Compared with" in md and "run-1" in md
    assert "### Recovery against baseline" in md


def test_nothing_to_compare_with_fails_only_when_required(tmp_path: Path) -> None:
    required = {"gate": {"regression": {"require": True}}}
    report = _finish(_run(tmp_path, 1, overrides=required), tmp_path / "reports")
    assert report.exit_code == 3
    assert any("regression gate: no earlier passing run" in r for r in report.reasons)


def test_every_run_is_indexed_whatever_its_verdict(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    _finish(_run(tmp_path, 1), reports)
    failed = _finish(_run(tmp_path, 2, fail=True), reports)
    assert failed.verdict.value == "failed"
    with RunStore(reports / "history.sqlite") as store:
        rows = store.runs("synthetic")
        assert [(r.run_id, r.verdict) for r in rows] == [("run-2", "failed"), ("run-1", "passed")]
        assert rows[0].load_model == "closed" and rows[0].users == 5
        assert store.last_pass("synthetic", "local", before=rows[0].started).run_id == "run-1"  # type: ignore[union-attr]
        assert len(store.samples("run-2")["gateway-p95"].samples) == 51
        phases = {r["phase"] for r in store.db.execute("SELECT DISTINCT phase FROM samples")}
        assert {"warmup", "baseline", "fault", "recovery"} <= phases


def test_an_older_schema_is_migrated_and_a_newer_one_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    db = sqlite3.connect(path)
    db.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version = 1; COMMIT;")
    db.execute(
        "INSERT INTO runs (run_id, scenario, target, started, ended, created, verdict, exit_code,"
        " load_model) VALUES ('old', 'smoke', 'local', 1, 2, 3, 'passed', 0, 'closed')"
    )
    db.commit()
    db.close()
    with RunStore(path) as store:
        assert store.version == SCHEMA_VERSION == 2
        store.set_name("old", "release-1")
        assert store.get("release-1").run_id == "old"  # type: ignore[union-attr]
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    with pytest.raises(BadInput, match="schema 99 is newer"):
        RunStore(path)


def test_existing_report_folders_are_imported(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    for n in (1, 2):
        write_report(_run(tmp_path, n), reports)
    (reports / "broken").mkdir()
    (reports / "broken" / "report.json").write_text("{", encoding="utf-8")
    with RunStore(tmp_path / "h.sqlite") as store:
        done = import_folders(store, reports)
        assert sorted(done.indexed) == ["run-1", "run-2"]
        assert [p.name for p, _ in done.skipped] == ["broken"]


def test_history_and_compare_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reports = tmp_path / "reports"
    _finish(_run(tmp_path, 1), reports)
    _finish(_run(tmp_path, 2, p95=130.0, seed=2), reports)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    listed = runner.invoke(app, ["history", "synthetic", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [r["run_id"] for r in json.loads(listed.output)["runs"]] == ["run-2", "run-1"]
    text = runner.invoke(app, ["history"])
    assert "run-2" in text.output and "passed" in text.output
    compared = runner.invoke(app, ["compare", "--gate"])
    assert compared.exit_code == 1, compared.output
    assert "Compared with run run-1" in compared.output
    assert "higher (worse)" in compared.output
    assert (reports / "run-2" / "compared-with-run-1.md").is_file()
    doc = json.loads((reports / "run-2" / "compared-with-run-1.json").read_text(encoding="utf-8"))
    assert doc["run_id"] == "run-1"
    bad = runner.invoke(app, ["compare", "nope"])
    assert bad.exit_code != 0
