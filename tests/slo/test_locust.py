"""Client-side SLIs from Locust's records (read here with the load edge's reader)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.load.stats import read_history
from harness.scenario import Phase, SloSpec
from harness.slo import PhaseWindow, Verdict, judge
from harness.slo.measure import measure_client
from tests.report.synthetic import T0, write_locust


def client(metric: str, objective: float) -> SloSpec:
    return SloSpec.model_validate(
        {"name": metric, "objective": objective, "sli": {"type": "client", "metric": metric}}
    )


@pytest.fixture
def prefix(tmp_path: Path) -> Path:
    path = tmp_path / "run"
    write_locust(path)
    return path


def test_error_ratio_is_exact_from_cumulative_counts(prefix: Path) -> None:
    history = read_history(prefix)
    fault = PhaseWindow(phase=Phase.FAULT, start=T0 + 25, end=T0 + 35)
    m = measure_client(history, client("error_ratio", 0.05), fault)
    assert m.value == pytest.approx(0.2)  # 2 of 10 each second
    # rows taken inside the window only: labelled 25 (taken in [25, 26)) to 34 (before 35)
    assert (m.good, m.total) == (72, 90)
    assert judge(client("error_ratio", 0.05), m).verdict is Verdict.FAILED


def test_p95_is_the_highest_rolling_p95_inside_the_window(prefix: Path) -> None:
    history = read_history(prefix)
    base = PhaseWindow(phase=Phase.BASELINE, start=T0 + 10, end=T0 + 25)
    fault = PhaseWindow(phase=Phase.FAULT, start=T0 + 25, end=T0 + 35)
    slo = client("p95_ms", 200)
    assert measure_client(history, slo, base).value == 80
    assert judge(slo, measure_client(history, slo, fault)).verdict is Verdict.FAILED


def test_requests_per_second(prefix: Path) -> None:
    window = PhaseWindow(phase=Phase.BASELINE, start=T0 + 10, end=T0 + 25)
    m = measure_client(read_history(prefix), client("requests_per_s", 5), window)
    assert m.value == pytest.approx(10.0)


def test_no_locust_data_is_inconclusive() -> None:
    window = PhaseWindow(phase=Phase.BASELINE, start=T0, end=T0 + 15)
    verdict = judge(
        client("error_ratio", 0.05), measure_client(None, client("error_ratio", 0.05), window)
    )
    assert verdict.verdict is Verdict.INCONCLUSIVE
    assert "no Locust statistics" in verdict.reason


def test_failures_at_a_phase_end_do_not_leak_into_the_next(prefix: Path) -> None:
    """Failures go on until row 35; recovery starts at T0+34.6. Row 34 may have been taken
    before that instant or after it (Locust labels rows with the truncated second), so counting
    starts at row 35, the first surely taken inside the window."""
    history = read_history(prefix)
    recovery = PhaseWindow(phase=Phase.RECOVERY, start=T0 + 34.6, end=T0 + 50)
    m = measure_client(history, client("error_ratio", 0.0), recovery)
    assert (m.value, m.total) == (0.0, 140)  # rows 35 to 49: no failure of the fault counted
