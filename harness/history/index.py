"""A report into the run store: what `harness run` does at the end of every run, whatever its
verdict, and what `harness history --import DIR` does for report folders written before."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.history.store import RunRow, RunStore
from harness.report.layout import LATEST, read_report
from harness.report.model import Report
from harness.slo.comparison import SampleSeries
from harness.slo.samples import from_report_series

COMMIT_ENV = "HARNESS_SUT_COMMIT"


def sut_commit(root: Path) -> str | None:
    """`$HARNESS_SUT_COMMIT`, else the checkout's HEAD when `root` is a git work tree (the
    sample system lives in it), else unknown."""
    env = os.environ.get(COMMIT_ENV, "").strip()
    if env:
        return env
    if not (root / ".git").exists():
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = done.stdout.strip()
    return text if done.returncode == 0 and len(text) >= 7 else None


def run_samples(report: Report) -> dict[str, SampleSeries]:
    """The report's per-second samples, or its detection series for older reports."""
    if report.samples:
        return dict(report.samples)
    return from_report_series(report.scenario.harness, report.slo_series, report.scrape_interval)


def load_model(report: Report) -> tuple[str, int | None, float | None]:
    """(model, users, spawn rate): `closed` with users, or `shape:<name>`."""
    spec = report.scenario.harness.load
    if spec.shape is not None:
        return f"shape:{spec.shape}", None, None
    return "closed", spec.users, spec.spawn_rate


def row_of(report: Report, folder: Path | None) -> RunRow:
    model, users, spawn = load_model(report)
    start = min((p.start for p in report.phases), default=report.created)
    end = max((p.end for p in report.phases), default=start)
    return RunRow(
        run_id=report.run_id,
        scenario=report.scenario.name,
        target=report.target,
        sut_commit=report.sut_commit,
        started=start,
        ended=end,
        created=report.created,
        verdict=report.verdict.value,
        exit_code=report.exit_code,
        load_model=model,
        users=users,
        spawn_rate=spawn,
        rate=report.locust.rps if report.locust is not None else None,
        folder=str(folder.resolve()) if folder is not None else None,
        reasons=report.reasons,
    )


def index_report(store: RunStore, report: Report, folder: Path | None) -> None:
    """Index (or re-index) one run."""
    ext = report.scenario.harness
    units = {s.name: (s.unit, s.wants.value, s.objective) for s in ext.slos}
    values = {(m.slo, m.phase.value): m.value for m in report.measurements}
    slis: list[tuple[str, str, float | None, str | None, float, str, str]] = []
    for v in report.verdicts:
        slis.append(
            (v.slo, v.phase.value, v.value, v.verdict.value, v.objective, v.unit, v.direction.value)
        )
        values.pop((v.slo, v.phase.value), None)
    for (slo, phase), value in values.items():  # measured, not judged there (blast radius)
        unit, direction, objective = units.get(slo, ("", "", 0.0))
        slis.append((slo, phase, value, None, objective, unit, direction))
    store.put(row_of(report, folder), report.phases, slis, run_samples(report))


@dataclass(frozen=True)
class Imported:
    indexed: tuple[str, ...]
    skipped: tuple[tuple[Path, str], ...]


def import_folders(store: RunStore, reports_dir: Path) -> Imported:
    """Index every `<reports_dir>/*/report.json` (and a report.json given directly)."""
    candidates = (
        [reports_dir]
        if reports_dir.is_file()
        else sorted(p.parent for p in reports_dir.glob("*/report.json") if p.parent.name != LATEST)
    )
    done: list[str] = []
    skipped: list[tuple[Path, str]] = []
    for path in candidates:
        try:
            report = read_report(path)
        except HarnessError as exc:
            skipped.append((path, str(exc)))
            continue
        index_report(store, report, path if path.is_dir() else path.parent)
        done.append(report.run_id)
    return Imported(tuple(done), tuple(skipped))


__all__ = ["Imported", "import_folders", "index_report", "row_of", "run_samples", "sut_commit"]
