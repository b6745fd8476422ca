"""The latency recorder in the Locust process: a listener on Locust's `request` event.

Every request Locust's statistics see is also added to per-second HdrHistograms
(`common.histograms`), written to `<--csv prefix>_latency.jsonl` next to Locust's CSVs (or to
`$LOCUST_LATENCY_FILE`), once a second and when Locust quits. The harness merges the seconds of
each phase exactly from that file (`harness.load.latency`); Locust's rolling percentiles stay
for its own UI. `common.client` imports this module, so every locustfile on `LeanHttpUser` has
it under plain `locust` too; any other locustfile gets it with `import common.latency`.
Distributed runs: each worker sends its lines with its regular report, the master writes them.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import time
from pathlib import Path
from typing import Any

import gevent
from common.histograms import SUFFIX, SecondRecorder
from locust import events
from locust.runners import MasterRunner, WorkerRunner

RECORDER = SecondRecorder()
FLUSH_S = 1.0
_REPORT_KEY = "harness_latency"
_log = logging.getLogger("harness.latency")
_before_drain: list[Any] = []  # callables run before each drain (the pacer's schedule count)
_pending: list[str] = []  # lines from workers, written by the master's next flush


def _on_request(
    request_type: str,
    name: str,
    response_time: float,
    exception: BaseException | None = None,
    start_time: float | None = None,
    **_: Any,
) -> None:
    if start_time is None:  # a locustfile firing the event without it: infer from the end
        start_time = time.time() - response_time / 1000
    RECORDER.record(
        int(start_time), request_type, name, int(response_time * 1000), exception is not None
    )


AVAILABLE = importlib.util.find_spec("hdrh") is not None  # pip install hdrhistogram
if AVAILABLE:
    events.request.add_listener(_on_request)


def before_drain(hook: Any) -> None:
    _before_drain.append(hook)


def _drain() -> list[str]:
    for hook in _before_drain:
        hook()
    lines = RECORDER.drain()
    if _pending:
        lines = [*_pending, *lines]
        _pending.clear()
    return lines


class _Writer:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")  # one file per Locust process run

    def flush(self) -> None:
        lines = _drain()
        if lines:
            with self.path.open("a", encoding="utf-8") as out:
                out.write("\n".join(lines) + "\n")

    def loop(self) -> None:
        while True:
            gevent.sleep(FLUSH_S)
            try:
                self.flush()
            except OSError as exc:  # a full disk must not stop the load; the reader says "none"
                _log.error("latency file %s: %s", self.path, exc)


def _destination(environment: Any) -> Path | None:
    explicit = os.environ.get("LOCUST_LATENCY_FILE")
    if explicit:
        return Path(explicit)
    prefix = getattr(getattr(environment, "parsed_options", None), "csv_prefix", None)
    return Path(f"{prefix}{SUFFIX}") if prefix else None


@events.init.add_listener  # type: ignore[untyped-decorator]  # locust events are untyped
def _start(environment: Any, **_: Any) -> None:
    if not AVAILABLE:
        _log.warning("hdrhistogram is not installed: no per-second latency file is written")
        return
    if isinstance(environment.runner, WorkerRunner):

        def report(client_id: str, data: dict[str, Any]) -> None:
            data[_REPORT_KEY] = _drain()

        environment.events.report_to_master.add_listener(report)
        return
    if isinstance(environment.runner, MasterRunner):

        def receive(client_id: str, data: dict[str, Any]) -> None:
            _pending.extend(data.get(_REPORT_KEY) or ())

        environment.events.worker_report.add_listener(receive)
    path = _destination(environment)
    if path is None:
        return
    writer = _Writer(path)
    gevent.spawn(writer.loop)
    # the last second's requests, written once the users have stopped
    environment.events.quitting.add_listener(lambda **_: writer.flush())
