"""Client-side SLIs from the per-second latency histograms (written by the Locust process's own
recorder, read with the load edge's reader): exact per window, per request name."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.load.latency import LatencyRecord, latency_file
from harness.scenario import Phase, SloSpec
from harness.slo import PhaseWindow, Verdict, judge
from harness.slo.locust import too_few
from harness.slo.measure import measure_client
from loadtests.common.histograms import SecondRecorder
from tests.report.synthetic import T0, write_latency


def client(metric: str, objective: float, requests: tuple[str, ...] = ()) -> SloSpec:
    sli = {"type": "client", "metric": metric, "requests": list(requests)}
    return SloSpec.model_validate({"name": metric, "objective": objective, "sli": sli})


@pytest.fixture
def record(tmp_path: Path) -> LatencyRecord:
    write_latency(tmp_path / "run")
    return LatencyRecord.read(tmp_path / "run")


def test_error_ratio_is_exact_over_the_whole_seconds_of_the_window(record: LatencyRecord) -> None:
    fault = PhaseWindow(phase=Phase.FAULT, start=T0 + 26, end=T0 + 36)
    m = measure_client(record, client("error_ratio", 0.05), fault)
    assert m.value == pytest.approx(0.2)  # 2 of 10 each second
    assert (m.good, m.total) == (80, 100)
    assert judge(client("error_ratio", 0.05), m).verdict is Verdict.FAILED


def test_seconds_cut_by_a_window_edge_stay_out_of_it(record: LatencyRecord) -> None:
    """Recovery starts at T0+35.6: second 35 (still the fault's) is only partly inside."""
    recovery = PhaseWindow(phase=Phase.RECOVERY, start=T0 + 35.6, end=T0 + 50)
    m = measure_client(record, client("error_ratio", 0.0), recovery)
    assert (m.value, m.total) == (0.0, 140)  # seconds 36 to 49


def test_p95_of_a_window_merges_its_seconds_exactly(record: LatencyRecord) -> None:
    base = PhaseWindow(phase=Phase.BASELINE, start=T0 + 10, end=T0 + 25)
    fault = PhaseWindow(phase=Phase.FAULT, start=T0 + 26, end=T0 + 36)
    slo = client("p95_ms", 200)
    assert measure_client(record, slo, base).value == pytest.approx(76, rel=1e-3)
    p95 = measure_client(record, slo, fault)
    assert p95.value == pytest.approx(300, rel=1e-3)
    assert judge(slo, p95).verdict is Verdict.FAILED
    p50 = measure_client(record, client("p50_ms", 200), fault).value
    assert p50 == pytest.approx(56, rel=1e-3)


def test_requests_per_second(record: LatencyRecord) -> None:
    window = PhaseWindow(phase=Phase.BASELINE, start=T0 + 10, end=T0 + 25)
    m = measure_client(record, client("requests_per_s", 5), window)
    assert m.value == pytest.approx(10.0)


def test_slow_warmup_does_not_leak_into_a_fast_baseline(tmp_path: Path) -> None:
    """Sign-ups of every user in the warm-up take a second; the baseline is fast. The old
    judge (highest rolling 10 s p95 inside the window) reported the warm-up's second."""
    recorder = SecondRecorder()
    t0 = int(T0)
    for s in range(8):  # warm-up: 20 sign-ups at ~1 s, browsing at 30 ms
        for _ in range(3):
            recorder.record(t0 + s, "POST", "POST /api/v1/users", 1_000_000, False)
        for _ in range(5):
            recorder.record(t0 + s, "GET", "GET /api/v1/inventory", 30_000, False)
    for s in range(8, 18):  # baseline: browsing and ordering only, fast
        for i in range(10):
            recorder.record(t0 + s, "GET", "GET /api/v1/inventory", (20 + i) * 1000, False)
    latency_file(tmp_path / "run").write_text("\n".join(recorder.drain()) + "\n")
    record = LatencyRecord.read(tmp_path / "run")
    warmup = PhaseWindow(phase=Phase.WARMUP, start=T0, end=T0 + 8)
    baseline = PhaseWindow(phase=Phase.BASELINE, start=T0 + 8, end=T0 + 18)
    slo = client("p95_ms", 1000)
    assert measure_client(record, slo, warmup).value == pytest.approx(1000, rel=1e-3)
    m = measure_client(record, slo, baseline)
    assert m.value == pytest.approx(29, rel=1e-3)
    assert judge(slo, m).verdict is Verdict.PASSED


def test_an_sli_selects_requests_by_name(tmp_path: Path) -> None:
    recorder = SecondRecorder()
    for s in range(10):
        recorder.record(int(T0) + s, "POST", "POST /api/v1/users", 900_000, False)
        recorder.record(int(T0) + s, "GET", "GET /api/v1/inventory/items/{sku}", 15_000, False)
        recorder.record(int(T0) + s, "POST", "POST /api/v1/orders", 60_000, True)
    latency_file(tmp_path / "run").write_text("\n".join(recorder.drain()) + "\n")
    record = LatencyRecord.read(tmp_path / "run")
    window = PhaseWindow(phase=Phase.BASELINE, start=T0, end=T0 + 10)
    browse = client("p99_ms", 100, ("GET /api/v1/inventory*",))
    assert measure_client(record, browse, window).value == pytest.approx(15, rel=1e-3)
    ordering = client("error_ratio", 0.5, ("POST /api/v1/orders",))
    assert measure_client(record, ordering, window).value == 1.0
    everything = measure_client(record, client("p99_ms", 100), window)
    assert everything.value == pytest.approx(900, rel=1e-3)
    nothing = measure_client(record, client("p95_ms", 100, ("DELETE *",)), window)
    assert judge(client("p95_ms", 100), nothing).verdict is Verdict.INCONCLUSIVE


def test_too_few_requests_for_a_percentile_are_flagged(record: LatencyRecord) -> None:
    short = record.window(T0 + 10, T0 + 13)  # 30 requests
    assert "p95 of 30 requests" in too_few(short, "p95_ms")
    assert too_few(record.window(T0 + 10, T0 + 25), "p50_ms") == ""
    assert too_few(short, "error_ratio") == ""


def test_no_latency_record_is_inconclusive() -> None:
    window = PhaseWindow(phase=Phase.BASELINE, start=T0, end=T0 + 15)
    verdict = judge(
        client("error_ratio", 0.05), measure_client(None, client("error_ratio", 0.05), window)
    )
    assert verdict.verdict is Verdict.INCONCLUSIVE
    assert "no client latency was recorded" in verdict.reason


def test_history_samples_of_a_percentile_are_the_exact_per_second_figures(
    record: LatencyRecord,
) -> None:
    """Run history tests one sample per second from the histograms, not Locust's rolling 10 s."""
    from harness.slo.samples import latency_samples

    slo = client("p95_ms", 1000)
    series = latency_samples(record, slo, T0 + 26, T0 + 36)
    assert series is not None and (series.source, series.window) == ("hdr-histogram", 1.0)
    per_second = record.per_second(T0 + 26, T0 + 36)
    assert [t for t, _ in series.samples] == [t for t, _ in per_second]
    assert [v for _, v in series.samples] == [s.p95_ms for _, s in per_second]
    assert latency_samples(record, client("error_ratio", 0.05), T0, T0 + 36) is None
