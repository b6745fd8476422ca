"""Runs Locust in processes of its own and turns what it wrote into a `LoadResult`.

The harness never imports locust: the run is `python -m locust ...` through `harness.process.spawn`
(own process group, dies with us). Ending: the run ends by itself (headless), when the user
presses Ctrl-C or the harness gets SIGTERM (TERM is passed on, so Locust writes its final CSVs),
or at a wall-clock deadline (a hung Locust is stopped and reported).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from harness.errors import BadInput, CouldNotJudge, CouldNotRun
from harness.load.command import CSV_PREFIX, plan
from harness.load.options import LoadOptions
from harness.load.sli import LoadSummary, summarize
from harness.process import free_port, require_free, spawn, stop, wait_for_port

# Locust's own words when a generator runs out of CPU (locust/runners.py), master and workers.
CPU_WARNINGS = (
    "CPU usage above",
    "CPU usage was too high",
    "exceeded cpu threshold",
    "CPU usage threshold was exceeded",
)
SUMMARY_FILE = "summary.json"


@dataclass(frozen=True)
class LoadResult:
    summary: LoadSummary
    out_dir: Path
    interrupted: bool
    exit_code: int | None  # the Locust main process's own exit code


def cpu_warnings(logs: list[Path]) -> list[str]:
    """Locust's CPU-saturation warnings found in `logs`, one line per file and warning kind."""
    found = []
    for log in logs:
        if not log.is_file():
            continue
        text = log.read_text(encoding="utf-8", errors="replace")
        for line in text.splitlines():
            if any(marker in line for marker in CPU_WARNINGS):
                found.append(f"{log.name}: {line.split('] ', 1)[-1].strip()[:160]}")
                break
    return found


def _tail(log: Path, lines: int = 6) -> str:
    if not log.is_file():
        return "(no log)"
    text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " | ".join(text[-lines:]) or "(empty log)"


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) ends the run like Ctrl-C does; only in the main thread."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _wait(proc: subprocess.Popen[bytes], deadline_s: float | None) -> bool:
    """Wait for `proc`; False when the deadline passed first."""
    try:
        proc.wait(timeout=deadline_s)
    except subprocess.TimeoutExpired:
        return False
    return True


def run_load(
    options: LoadOptions,
    *,
    on_started: Callable[[str], None] | None = None,
) -> LoadResult:
    """Run Locust as `options` says, wait for the end, read the CSVs, write `summary.json`."""
    out = options.out_dir
    out.mkdir(parents=True, exist_ok=True)
    if options.web:
        require_free(options.web_port, "--web-port")
    master_port = free_port() if options.processes > 1 else None
    the_plan = plan(options, master_port=master_port)
    env = {**os.environ, **options.extra_env, "PYTHONUNBUFFERED": "1"}
    main_log = out / "locust.log"
    worker_logs = [out / f"locust-worker-{i + 1}.log" for i in range(len(the_plan.workers))]
    for log in [main_log, *worker_logs]:
        log.unlink(missing_ok=True)

    procs: list[subprocess.Popen[bytes]] = []
    interrupted = False
    finished = True
    with _sigterm_as_interrupt():
        try:
            main = spawn(the_plan.main, env=env, log_path=main_log)
            procs.append(main)
            for argv, log in zip(the_plan.workers, worker_logs, strict=True):
                procs.append(spawn(argv, env=env, log_path=log))
            if options.web:
                if not wait_for_port(options.web_port, timeout=30) or main.poll() is not None:
                    raise CouldNotRun(f"Locust web UI did not start: {_tail(main_log)}")
                if on_started is not None:
                    on_started(f"http://127.0.0.1:{options.web_port}")
            finished = _wait(main, the_plan.deadline_s)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            # TERM makes Locust stop users, write its last CSV rows and the HTML report.
            for proc in procs:
                stop(proc, grace=15.0)
    exit_code = procs[0].returncode if procs else None
    if not finished:
        raise CouldNotRun(f"Locust did not finish within {the_plan.deadline_s:g}s; stopped it")
    if not interrupted and exit_code == 2:  # Locust's (argparse's) code for a bad option
        raise BadInput(f"Locust refused its options: {_tail(main_log, 2)}")
    if not interrupted and exit_code not in (0, None):
        raise CouldNotRun(f"Locust exited with code {exit_code}: {_tail(main_log)}")
    try:
        summary = summarize(out / CSV_PREFIX)
    except CouldNotJudge as exc:
        raise CouldNotRun(f"Locust left no statistics ({exc}): {_tail(main_log)}") from exc
    warnings = cpu_warnings([main_log, *worker_logs])
    if warnings:
        summary = _untrustworthy(summary, warnings)
    context = {
        "host": options.host,
        "locustfile": str(options.locustfile),
        "shape": options.shape,
        "processes": options.processes,
        "interrupted": interrupted,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (out / SUMMARY_FILE).write_text(json.dumps(summary.to_json(**context), indent=2) + "\n")
    return LoadResult(summary=summary, out_dir=out, interrupted=interrupted, exit_code=exit_code)


def _untrustworthy(summary: LoadSummary, warnings: list[str]) -> LoadSummary:
    from dataclasses import replace

    note = "load generator CPU saturated: response times and throughput are not trustworthy"
    return replace(summary, trustworthy=False, warnings=[*summary.warnings, note, *warnings])
