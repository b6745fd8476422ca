"""The one reader of Locust's CSV files, and the report's summary of what it read."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import CouldNotJudge
from harness.load.stats import read_history, read_stats
from harness.report.model import LocustSummary
from tests.report.synthetic import write_locust


@pytest.fixture
def prefix(tmp_path: Path) -> Path:
    path = tmp_path / "run"
    write_locust(path)
    return path


def test_summary_reads_totals_and_endpoints(prefix: Path) -> None:
    summary = LocustSummary.of(read_stats(prefix), read_history(prefix))
    assert (summary.requests, summary.failures, summary.max_users) == (510, 20, 5)
    assert summary.endpoints[0].name == "/api/v1/orders"
    assert summary.p95_ms == 80


def test_missing_csv_is_one_line_could_not_judge(tmp_path: Path) -> None:
    with pytest.raises(CouldNotJudge, match=r"run_stats_history.csv: Locust did not write this"):
        read_history(tmp_path / "run")
