"""The pure parts of `harness run`: phase windows, the fault window, progress figures."""

from __future__ import annotations

import pytest

from harness.contracts.locust import ClientRow
from harness.run.progress import live_load, progress_line
from harness.run.timeline import Timeline, fault_window
from harness.scenario.model import Phase


def test_an_interrupted_run_keeps_the_windows_it_reached() -> None:
    tl = Timeline()
    tl.begin(Phase.WARMUP, 100.0)
    tl.begin(Phase.BASELINE, 108.0)  # closes warm-up at 108
    tl.close(112.5)  # Ctrl-C in the baseline
    assert [(w.phase, w.start, w.end) for w in tl.windows] == [
        (Phase.WARMUP, 100.0, 108.0),
        (Phase.BASELINE, 108.0, 112.5),
    ]
    assert tl.current is None and tl.close(120.0) is None


def test_the_open_phase_is_visible_to_breach_checks() -> None:
    tl = Timeline()
    tl.begin(Phase.BASELINE, 10.0)
    assert [(w.phase, w.end) for w in tl.so_far(14.0)] == [(Phase.BASELINE, 14.0)]


@pytest.mark.parametrize(
    ("start", "end", "stopped", "fixed", "window"),
    [
        (50.0, 58.0, 60.0, None, (50.0, 58.0)),  # until the method ends
        (50.0, 51.0, 70.0, 15.0, (50.0, 65.0)),  # fixed: held 15 s from the method's start
        (50.0, 70.0, 71.0, 15.0, (50.0, 70.0)),  # the method outlasted the fixed length
        (50.0, None, 53.0, 15.0, (50.0, 53.0)),  # interrupted during the method
        (None, None, 53.0, None, None),  # interrupted before the method started
    ],
)
def test_fault_window(
    start: float | None,
    end: float | None,
    stopped: float,
    fixed: float | None,
    window: tuple[float, float] | None,
) -> None:
    assert fault_window(start, end, stopped_at=stopped, fixed=fixed) == window


def _row(t: float, requests: float, failures: float) -> ClientRow:
    return ClientRow(t=t, users=20, requests=requests, failures=failures, rps=0.0, p95_ms=None)


def test_live_load_is_the_rate_and_error_ratio_of_the_last_seconds() -> None:
    rows = [_row(0, 0, 0), _row(1, 10, 0), _row(2, 20, 0), _row(3, 40, 1), _row(4, 50, 3)]
    load = live_load(rows)  # from t=1 to t=4: 40 requests, 3 failures
    assert load is not None
    assert load.rps == pytest.approx(40 / 3)
    assert load.error_ratio == pytest.approx(3 / 40)
    assert live_load(rows[:1]) is None
    quiet = live_load([_row(0, 5, 0), _row(3, 5, 0)])
    assert quiet is not None and quiet.rps == 0 and quiet.error_ratio is None


def test_progress_line_names_phase_time_rate_and_errors() -> None:
    load = live_load([_row(0, 0, 0), _row(3, 30, 3)])
    line = progress_line("smoke", "fault", 75.0, 4.2, None, load)
    assert line.startswith("smoke  fault")
    assert "elapsed 1:15" in line and "10.0 req/s" in line and "errors 10.00%" in line
    assert "waiting for load" in progress_line("smoke", "warmup", 1, 1, 8, None)
