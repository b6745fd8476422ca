"""The run history's part in `harness run`: compare the new report with its own baseline and
with an earlier run (gate.regression may fail it), write it, index it, whatever its verdict."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from harness.errors import HarnessError
from harness.history.compare import compare_with_history, evidence_of, recovery_shifts
from harness.history.index import index_report
from harness.history.store import RunStore, default_path
from harness.report.build import with_history
from harness.report.layout import RunFiles
from harness.report.model import Report
from harness.slo.comparison import Comparison


def judge_and_index(
    report: Report,
    reports_dir: Path,
    *,
    history_db: Path | None,
    write: Callable[[Report], tuple[Report, RunFiles]],
) -> tuple[Report, RunFiles]:
    """Compare, re-judge, write (through `write`), then index the written report.

    A store that cannot be opened is said in the comparison's note; the run is still judged
    on its SLOs (and `gate.regression.require` turns the missing comparison into exit 3).
    """
    policy = report.scenario.harness.gate.regression
    path = history_db if history_db is not None else default_path(reports_dir)
    recovery = recovery_shifts(evidence_of(report), policy)
    store: RunStore | None = None
    try:
        store = RunStore(path)
        comparison = compare_with_history(store, report, policy)
    except HarnessError as exc:
        comparison = Comparison(basis=policy.against if policy else "last-pass", note=str(exc))
    try:
        written, files = write(with_history(report, recovery=recovery, compared_with=comparison))
        if store is not None:
            index_report(store, written, files.folder)
    finally:
        if store is not None:
            store.close()
    return written, files


__all__ = ["judge_and_index"]
