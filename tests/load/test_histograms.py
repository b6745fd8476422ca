"""The recorder's per-second histograms (loadtests/common/histograms.py, no locust) and the
open model's schedule (loadtests/common/arrivals.py), against HdrHistogram itself."""

from __future__ import annotations

import random
from itertools import islice, pairwise

import pytest
from hdrh.histogram import HdrHistogram

from harness.load.latency import LatencyRecord
from harness.scenario.arrival import format_rate
from harness.scenario.arrival import parse_rate as harness_parse_rate
from loadtests.common import arrivals
from loadtests.common.histograms import HIGHEST_US, SecondRecorder, new_histogram


def test_the_recorders_histogram_is_the_one_hdrhistogram_records() -> None:
    """Bucketing in a dict, then filling the array directly, gives exactly the histogram that
    HdrHistogram's own record_value builds: same counts, same percentiles, same min and max."""
    rng = random.Random(7)
    values = [int(rng.lognormvariate(9, 2.5)) + 1 for _ in range(20_000)]
    reference = new_histogram()
    recorder = SecondRecorder()
    for v in values:
        reference.record_value(min(v, HIGHEST_US))
        recorder.record(100, "GET", "GET /x", v, False)
    line = recorder.drain()
    record = LatencyRecord(line)
    ours = record.window(100, 101)
    ref = HdrHistogram.decode(reference.encode())
    assert ours.requests == len(values)
    for q, got in ((50, ours.p50_ms), (95, ours.p95_ms), (99, ours.p99_ms)):
        assert got == ref.get_value_at_percentile(q) / 1000
    assert ours.max_ms == ref.get_max_value() / 1000


def test_partial_lines_of_one_second_add_up() -> None:
    recorder = SecondRecorder()
    lines = []
    for flush in range(3):  # a second's requests may finish across several flushes
        for i in range(10):
            recorder.record(5, "GET", "GET /x", 1000 * (flush * 10 + i + 1), i == 0)
        lines += recorder.drain()
    stats = LatencyRecord(lines).window(5, 6)
    assert (stats.requests, stats.failures) == (30, 3)
    assert stats.p50_ms == pytest.approx(15, rel=1e-3)
    assert stats.max_ms == pytest.approx(30, rel=1e-3)


def test_a_window_from_the_epoch_holds_the_recorded_seconds_and_nothing_more() -> None:
    """Windows may be as wide as a caller likes (`window(0, now)`): the answer is the seconds
    recorded inside it (before, it walked every second since 1970: 100 s for one call)."""
    now = 1_796_000_000
    recorder = SecondRecorder()
    lines = []
    for t in (now - 2, now - 1, now):
        recorder.record(t, "GET", "GET /x", 2000, t == now)
        lines += recorder.drain()
    record = LatencyRecord(lines)
    wide, recorded = record.window(0, now + 1), record.window(now - 2, now + 1)
    assert (wide.requests, wide.failures) == (recorded.requests, recorded.failures) == (3, 1)
    assert record.window(0, now).requests == 2  # the end is exclusive, as for any window
    assert [t for t, _ in record.per_second(0, now + 1)] == [now - 2, now - 1, now]


@pytest.mark.parametrize("text", ["40", "0:10,8s:40", "5:10, 9:0, 12:3"])
def test_both_sides_read_a_rate_the_same_way(text: str) -> None:
    """The scenario's rate reaches Locust as `--arrival-rate format_rate(...)`."""
    steps = harness_parse_rate(text)
    assert arrivals.parse_rate(format_rate(steps)) == steps


def test_arrivals_follow_the_rate_exactly() -> None:
    steps = arrivals.parse_rate("0:10,2:40")
    due = list(islice(arrivals.arrivals(steps), 90))
    assert due[:3] == pytest.approx([0.1, 0.2, 0.3])
    # the count over an interval is the integral of the rate, give or take one
    assert abs(sum(1 for t in due if t < 2) - 20) <= 1
    assert abs(sum(1 for t in due if t < 3) - 60) <= 1
    assert all(b > a for a, b in pairwise(due))


@pytest.mark.parametrize("bad", ["", "x", "-5", "3:1,2:5", "0:0"])
def test_a_bad_rate_is_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(ValueError):
        harness_parse_rate(bad)
