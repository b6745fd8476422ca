"""Headless Locust runs through `harness load` against a small real target (target_app.py)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from harness.process import free_port, group_alive, spawn, stop
from tests.load.conftest import CREDENTIALS, HERE, ROOT, Target, run_harness
from tests.waiting import eventually

pytestmark = pytest.mark.integration


def users_over_time(summary: dict[str, object]) -> list[int]:
    """User counts of the history rows after the first (Locust writes a 0 row at start)."""
    timeline = summary["timeline"]
    assert isinstance(timeline, list)
    return [point["users"] for point in timeline][1:]


@pytest.mark.parametrize("client", ["fast", "lean"])
def test_failures_are_classified_by_cause(target: Target, tmp_path: Path, client: str) -> None:
    out = tmp_path / "run"
    dead = f"http://127.0.0.1:{free_port()}/nothing-listens"
    run = run_harness(
        [
            "load",
            "--host",
            target.url,
            "-f",
            str(HERE / "failing_locustfile.py"),
            "-u",
            "4",
            "-r",
            "20",
            "-t",
            "3s",
            "--out",
            str(out),
        ],
        out,
        env={"PROBE_DEAD_URL": dead, "PROBE_CLIENT": client},
    )
    assert run.rc == 0, run.output
    for name in (
        "locust_stats.csv",
        "locust_stats_history.csv",
        "locust_failures.csv",
        "locust.html",
    ):
        assert (out / name).is_file(), name
    s = run.summary()
    assert s["requests"] > 20
    causes = s["errors_by_cause"]
    assert set(causes) == {"http_429", "http_503", "http_504", "timeout", "connection_error"}
    assert sum(c["count"] for c in causes.values()) == s["failures"]
    by_name = {e["name"]: e for e in s["endpoints"]}
    assert by_name["/ok"]["failures"] == 0 and by_name["/ok"]["requests"] > 0
    assert by_name["/sleep/1"]["failures"] == by_name["/sleep/1"]["requests"]
    assert 0 < s["error_ratio"] < 1
    assert s["latency_ms"]["p99"] >= 250  # the timed-out requests waited for the 0.3 s deadline
    assert s["trustworthy"] is True
    assert "error ratio" in run.output and "http_429" in run.output


@pytest.mark.parametrize(
    ("shape", "flags", "check"),
    [
        ("steady", ["-u", "3", "-t", "3s"], lambda u: set(u) == {3}),
        (
            "ramp",
            ["-u", "1", "--peak", "9", "-t", "5s"],
            lambda u: u == sorted(u) and u[-1] == 9 and u[0] < 5,
        ),
        (
            "step",
            ["-u", "2", "--peak", "8", "-t", "4s", "--", "--shape-steps", "4"],
            lambda u: u == sorted(u) and set(u) <= {2, 4, 6, 8} and {2, 8} <= set(u),
        ),
        (
            "spike",
            ["-u", "2", "--peak", "10", "-t", "5s"],
            lambda u: max(u) == 10 and u[0] == 2 and u[-1] == 2,
        ),
        (
            "double_wave",
            ["-u", "1", "--peak", "9", "-t", "6s"],
            lambda u: (
                any(
                    u[i] > u[j] < u[k] and u[j] <= 3
                    for i in range(len(u))
                    for j in range(i, len(u))
                    for k in range(j, len(u))
                )
                and max(u) >= 7
            ),
        ),
    ],
)
def test_each_shape_drives_the_journeys(
    target: Target, tmp_path: Path, shape, flags, check
) -> None:
    out = tmp_path / shape
    before = target.seen()
    run = run_harness(
        ["load", "--host", target.url, "--shape", shape, "-r", "50", "--out", str(out), *flags], out
    )
    assert run.rc == 0, run.output
    s = run.summary()
    users = users_over_time(s)
    assert check(users), users
    assert s["shape"] == shape
    assert s["failures"] == 0, s["errors_by_cause"]
    seen = target.seen()
    # the journeys ran through the API: sign-up, activation, log-in, browsing
    for route in ("signup", "activate", "login", "inventory"):
        assert seen.get(route, 0) > before.get(route, 0), (route, seen)
    if shape == "ramp":
        for route in ("item", "order", "order read", "orders list", "payment", "users list"):
            assert seen.get(route, 0) > before.get(route, 0), (route, seen)
        assert seen.get("canary", 0) > before.get("canary", 0)
        assert any(e["name"].startswith("canary ") for e in s["endpoints"])


def test_distributed_run_uses_master_and_workers(target: Target, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    run = run_harness(
        [
            "load",
            "--host",
            target.url,
            "--processes",
            "2",
            "-u",
            "4",
            "-r",
            "20",
            "-t",
            "3s",
            "--out",
            str(out),
        ],
        out,
    )
    assert run.rc == 0, run.output
    s = run.summary()
    assert s["processes"] == 2 and s["requests"] > 0 and s["failures"] == 0
    assert s["max_users"] == 4
    master_log = (out / "locust.log").read_text()
    assert "2 workers connected" in master_log
    assert "to 2 ready workers" in master_log  # the users were shared out between both
    for i in (1, 2):
        assert (out / f"locust-worker-{i}.log").read_text().strip()


def test_saturated_generator_marks_results_untrustworthy(target: Target, tmp_path: Path) -> None:
    out = tmp_path / "busy"
    run = run_harness(
        [
            "load",
            "--host",
            target.url,
            "-f",
            str(HERE / "busy_locustfile.py"),
            "-u",
            "1",
            "-r",
            "1",
            "-t",
            "4s",
            "--out",
            str(out),
        ],
        out,
    )
    assert run.rc == 0, run.output
    s = run.summary()
    assert s["trustworthy"] is False
    assert any("CPU" in w for w in s["warnings"])
    assert "not trustworthy" in run.output


def test_sigterm_stops_locust_and_keeps_partial_results(target: Target, tmp_path: Path) -> None:
    out = tmp_path / "term"
    log = tmp_path / "term-cli.log"
    env = {**os.environ, **CREDENTIALS, "LOAD_THINK_SCALE": "0.05"}
    argv = [
        sys.executable,
        "-m",
        "harness",
        "load",
        "--host",
        target.url,
        "-u",
        "2",
        "-t",
        "60s",
        "--out",
        str(out),
    ]
    proc = spawn(argv, env=env, cwd=ROOT, log_path=log)
    try:
        history = out / "locust_stats_history.csv"
        eventually(
            lambda: history.is_file() and len(history.read_text().splitlines()) >= 2,
            timeout=30,
            interval=0.2,
            message=lambda: f"Locust wrote no history row:\n{log.read_text()}",
        )
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
    finally:
        stop(proc)
    assert rc == 130, log.read_text()
    s = (out / "summary.json").read_text()
    assert '"interrupted": true' in s
    assert not group_alive(proc.pid)  # Locust went down with the harness


def test_cli_errors_map_to_exit_codes(tmp_path: Path) -> None:
    # bad input: exit 2, one line naming the flag
    run = run_harness(
        ["load", "--host", "http://127.0.0.1:1", "--shape", "sawtooth"], tmp_path / "a"
    )
    assert run.rc == 2 and "--shape" in run.output and "Traceback" not in run.output
    # a shape option Locust itself refuses (after `--`): exit 2 naming it
    out = tmp_path / "d"
    bad_steps = ["load", "--host", "http://127.0.0.1:1", "--shape", "step", "--out", str(out)]
    run = run_harness([*bad_steps, "--", "--shape-steps", "1"], out)
    assert run.rc == 2 and "--shape-steps: must be at least 2" in run.output, run.output
    # no stack and no --host: exit 3 with StackNotRunning's message
    no_stack = {"HARNESS_GATEWAY_PORT": str(free_port()), "HARNESS_STATE_DIR": str(tmp_path / "s")}
    run = run_harness(["load"], tmp_path / "b", env=no_stack)
    assert run.rc == 3 and "harness up" in run.output
    # Locust cannot run the locustfile: exit 3 naming the problem
    broken = tmp_path / "broken.py"
    broken.write_text("this is not python\n")
    out = tmp_path / "c"
    run = run_harness(
        ["load", "--host", "http://127.0.0.1:1", "-f", str(broken), "-t", "2s", "--out", str(out)],
        out,
    )
    assert (
        run.rc == 3
        and "Locust exited" in run.output
        and "Traceback" not in run.output.split("|")[0]
    )


def test_load_run_in_the_background_is_stopped_by_its_caller(
    target: Target, tmp_path: Path
) -> None:
    """The library API `harness run` uses: start, do other things, stop early, summarise."""
    from harness.load import LoadOptions, LoadRun

    options = LoadOptions(
        host=target.url,
        out_dir=tmp_path / "bg",
        users=2,
        spawn_rate=10,
        run_time_s=120,
        extra_env={**CREDENTIALS, "LOAD_THINK_SCALE": "0.05"},
    )
    started = time.time()
    with LoadRun(options) as load:
        history = options.out_dir / "locust_stats_history.csv"
        assert not load.wait(timeout=4)  # still running: it was asked for two minutes
        assert load.running and history.is_file()
    assert not load.running  # leaving the block stopped it
    result = load.result()
    s = result.summary
    assert s.requests > 0 and s.failures == 0 and s.max_users == 2
    assert started - 5 < s.started_at < started + 10
    summary = (options.out_dir / "summary.json").read_text()
    assert '"stopped_early": true' in summary and '"interrupted": false' in summary
    assert "test-jwt-secret" not in summary and "test-api-key" not in summary
