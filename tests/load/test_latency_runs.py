"""Exact client latency with real Locust runs against a stub upstream on loopback.

Each test starts `tests/load/stall_app.py` (slow or stalled at chosen moments) and runs Locust
in its own process with `tests/load/latency_locustfile.py` (LeanHttpUser: the recorder and the
pacer of loadtests/common), then reads the per-second histograms as `harness run` does.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from harness.load import LoadOptions, LoadRun
from harness.load.latency import LatencyRecord
from harness.process import free_port, spawn, stop, wait_for_port
from harness.run.finish import finish_run
from harness.scenario import Phase, load_scenario
from harness.slo import PhaseWindow
from tests.load.conftest import HERE

LOCUSTFILE = HERE / "latency_locustfile.py"
pytestmark = pytest.mark.integration


@contextmanager
def upstream(tmp: Path, start: float, end: float, mode: str) -> Iterator[str]:
    port = free_port()
    argv = [sys.executable, str(HERE / "stall_app.py"), str(port), str(start), str(end), mode]
    proc = spawn(argv, log_path=tmp / "stall_app.log")
    try:
        assert wait_for_port(port, timeout=10)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def run_locust(
    tmp: Path, host: str, *, users: int, seconds: float, wait: float = 0.05, rate: str | None = None
) -> Path:
    out = tmp / ("open" if rate else "closed")
    options = LoadOptions(
        host=host,
        out_dir=out,
        users=users,
        spawn_rate=users,
        run_time_s=seconds,
        locustfile=LOCUSTFILE,
        arrival_rate=rate,
        extra_env={"LOAD_TEST_WAIT": str(wait)},
    )
    with LoadRun(options) as load:
        assert load.wait(seconds + 60)
    load.result()
    return out / "locust"


def test_a_slow_warmup_does_not_reach_a_fast_baseline(tmp_path: Path) -> None:
    """Requests are slow (1 s) until `fast_from`, then fast: the baseline's p95 is the fast one."""
    fast_from = math.ceil(time.time()) + 7
    with upstream(tmp_path, 0, fast_from, "slow") as host:
        prefix = run_locust(tmp_path, host, users=4, seconds=16)
    record = LatencyRecord.read(prefix)
    warmup = record.window(fast_from - 5, fast_from - 1)
    baseline = record.window(fast_from + 2, time.time())  # slow requests end by fast_from + 1
    assert warmup.requests > 0 and warmup.p95_ms is not None and warmup.p95_ms >= 900
    assert baseline.requests >= 100
    assert baseline.p95_ms is not None and baseline.p95_ms < 300, baseline
    # the sign-ups (all in the warm-up) are their own request name
    signups = record.window(0, time.time(), ("POST /api/v1/users",))
    assert signups.requests == 4


def test_an_open_model_shows_a_stall_that_a_closed_model_hides(tmp_path: Path) -> None:
    """The upstream stops for 2 s. Open model, 20 arrivals/s: every arrival in the stall waits
    for its end, so the p99 holds the stall. Closed model, one user at a similar rate: it sends
    one request during the stall and waits with it (coordinated omission): p99 stays low."""
    results = {}
    for model in ("open", "closed"):
        stall_from = math.ceil(time.time()) + 6
        with upstream(tmp_path / model, stall_from, stall_from + 2, "stall") as host:
            if model == "open":
                prefix = run_locust(tmp_path / model, host, users=4, seconds=13, rate="20")
            else:
                prefix = run_locust(tmp_path / model, host, users=1, seconds=13, wait=0.05)
        stats = LatencyRecord.read(prefix).window(stall_from - 3, stall_from + 5)
        results[model] = stats
    print(
        f"stall of 2 s: open model p99 {results['open'].p99_ms} ms over "
        f"{results['open'].requests} requests; closed model p99 {results['closed'].p99_ms} ms "
        f"over {results['closed'].requests} requests"
    )
    assert results["open"].p99_ms is not None and results["open"].p99_ms >= 1500
    assert results["closed"].p99_ms is not None and results["closed"].p99_ms < 1000


def _scenario(tmp: Path, rate: str) -> Path:
    ext = {
        "name": "harness",
        "load": {
            "locustfile": str(LOCUSTFILE),
            "users": 4,
            "spawn_rate": 4,
            "model": "open",
            "rate": rate,
        },
        "phases": {"warmup": "2s", "baseline": "6s", "fault": "4s", "recovery": "4s"},
        "slos": [
            {
                "name": "browse-p95",
                "sli": {
                    "type": "client",
                    "metric": "p95_ms",
                    "requests": ["GET /api/v1/inventory"],
                },
                "objective": 5000,
                "unit": "ms",
                "phases": ["baseline"],
            }
        ],
    }
    noop = {"type": "python", "module": "time", "func": "sleep", "arguments": {"secs": 0}}
    doc = {
        "title": "open model",
        "method": [{"type": "action", "name": "nothing", "provider": noop}],
        "extensions": [ext],
    }
    folder = tmp / "experiments"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "open.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize(("rate", "exit_code"), [("20", 0), ("60000", 3)])
def test_a_generator_behind_its_schedule_cannot_be_judged(
    tmp_path: Path, rate: str, exit_code: int
) -> None:
    """Asked for 60,000 arrivals/s, one Locust process falls behind: exit 3 naming the rate.
    The same run at 20/s keeps its schedule and is judged (passed)."""
    scenario = load_scenario(_scenario(tmp_path, rate))
    with upstream(tmp_path, 0, 0, "slow") as host:
        started = time.time()
        prefix = run_locust(tmp_path, host, users=4, seconds=10, rate=rate)
    baseline = PhaseWindow(phase=Phase.BASELINE, start=started + 3, end=started + 9)
    report, _ = finish_run(
        scenario,
        [baseline],
        reports_dir=tmp_path / "reports",
        source=None,
        scrape_interval=1.0,
        locust_prefix=prefix,
    )
    phase = report.load_phases[0]
    print(f"asked {rate}/s: {phase.achieved_rate} sent/s, max lag {phase.max_lag_ms} ms")
    assert report.exit_code == exit_code, report.reasons
    if exit_code == 3:
        assert any(
            "fell behind its schedule" in r and "asked 60,000 req/s" in r for r in report.reasons
        ), report.reasons
    else:
        assert phase.target_rate == pytest.approx(20, rel=0.1)
        assert phase.achieved_rate == pytest.approx(20, rel=0.1)
