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

from harness.errors import BadInput, CouldNotJudge, CouldNotRun, Interrupted
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


class LoadRun:
    """One Locust run in the background, for callers that do other things meanwhile.

        with LoadRun(options) as load:   # starts Locust (and its workers)
            ...                          # inject faults, watch Prometheus
            load.wait(timeout)           # or load.stop() to end it early
        result = load.result()           # reads the CSVs, writes summary.json

    Leaving the `with` block always stops every Locust process (TERM, then KILL).
    """

    def __init__(self, options: LoadOptions) -> None:
        self.options = options
        self.out = options.out_dir
        self._master_port = free_port() if options.processes > 1 else None
        self.plan = plan(options, master_port=self._master_port)
        self.main_log = self.out / "locust.log"
        self.worker_logs = [
            self.out / f"locust-worker-{i + 1}.log" for i in range(len(self.plan.workers))
        ]
        self._procs: list[subprocess.Popen[bytes]] = []
        self._stopped_early = False
        self._timed_out = False
        self.interrupted = False

    @property
    def web_url(self) -> str | None:
        return f"http://127.0.0.1:{self.options.web_port}" if self.options.web else None

    def start(self) -> None:
        """Spawn Locust; with the web UI, return once it accepts connections."""
        self.out.mkdir(parents=True, exist_ok=True)
        if self.options.web:
            require_free(self.options.web_port, "--web-port")
        for log in [self.main_log, *self.worker_logs]:
            log.unlink(missing_ok=True)
        env = {**os.environ, **self.options.extra_env, "PYTHONUNBUFFERED": "1"}
        try:
            self._procs.append(spawn(self.plan.main, env=env, log_path=self.main_log))
            for argv, log in zip(self.plan.workers, self.worker_logs, strict=True):
                self._procs.append(spawn(argv, env=env, log_path=log))
            if self.options.web and (
                not wait_for_port(self.options.web_port, timeout=30) or not self.running
            ):
                raise CouldNotRun(f"Locust web UI did not start: {_tail(self.main_log)}")
        except BaseException:  # Ctrl-C included: nothing started here may outlive us
            self.stop()
            raise

    @property
    def running(self) -> bool:
        return bool(self._procs) and self._procs[0].poll() is None

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for Locust to end by itself; False when `timeout` passed first."""
        if not self._procs:
            return True
        try:
            self._procs[0].wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self) -> None:
        """End the run now. TERM makes Locust stop its users and write its last CSV rows."""
        if self.running:
            self._stopped_early = True
        for proc in self._procs:
            stop(proc, grace=15.0)

    def __enter__(self) -> LoadRun:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def result(self) -> LoadResult:
        """Check how Locust ended, read its CSVs into a summary, write `summary.json`."""
        exit_code = self._procs[0].returncode if self._procs else None
        ended_by_us = self.interrupted or self._stopped_early
        if self._timed_out:
            raise CouldNotRun(f"Locust did not finish within {self.plan.deadline_s:g}s; stopped it")
        if not ended_by_us and exit_code == 2:  # Locust's (argparse's) code for a bad option
            raise BadInput(f"Locust refused its options: {_tail(self.main_log, 2)}")
        if not ended_by_us and exit_code not in (0, None):
            raise CouldNotRun(f"Locust exited with code {exit_code}: {_tail(self.main_log)}")
        try:
            summary = summarize(self.out / CSV_PREFIX)
        except CouldNotJudge as exc:
            raise CouldNotRun(f"Locust left no statistics ({exc}): {_tail(self.main_log)}") from exc
        warnings = cpu_warnings([self.main_log, *self.worker_logs])
        if warnings:
            summary = _untrustworthy(summary, warnings)
        context = {
            "host": self.options.host,
            "locustfile": str(self.options.locustfile),
            "shape": self.options.shape,
            "processes": self.options.processes,
            "interrupted": self.interrupted,
            "stopped_early": self._stopped_early,
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        text = json.dumps(summary.to_json(**context), indent=2) + "\n"
        (self.out / SUMMARY_FILE).write_text(text)
        return LoadResult(
            summary=summary, out_dir=self.out, interrupted=self.interrupted, exit_code=exit_code
        )


def run_load(
    options: LoadOptions,
    *,
    on_started: Callable[[str], None] | None = None,
) -> LoadResult:
    """Run Locust as `options` says until it ends (or Ctrl-C / SIGTERM), then summarise it."""
    load = LoadRun(options)
    with _sigterm_as_interrupt():
        try:
            with load:
                if load.web_url is not None and on_started is not None:
                    on_started(load.web_url)
                if not load.wait(load.plan.deadline_s):
                    load._timed_out = True
        except KeyboardInterrupt:
            load.interrupted = True
            if not (options.out_dir / f"{CSV_PREFIX}_stats.csv").is_file():
                raise Interrupted("interrupted before Locust wrote any statistics") from None
    return load.result()


def _untrustworthy(summary: LoadSummary, warnings: list[str]) -> LoadSummary:
    from dataclasses import replace

    note = "load generator CPU saturated: response times and throughput are not trustworthy"
    return replace(summary, trustworthy=False, warnings=[*summary.warnings, note, *warnings])
