"""The watcher thread of `harness run`: progress every TICK seconds, and abort on breach.

When the gate asks for it (`harness.slo.aborts_on_breach`), each tick checks the current
window for a breach (k6 `abortOnFail`); a `failed` verdict aborts the run, missing data never.
"""

from __future__ import annotations

import threading
import time

from harness.contracts.locust import ClientHistory
from harness.contracts.promql import PromQLSource
from harness.errors import HarnessError
from harness.run.progress import live_load, progress_line
from harness.run.state import RunState
from harness.scenario.model import JUDGED_PHASES
from harness.slo.evaluate import check_breach
from harness.slo.judge import aborts_on_breach

TICK = 2.0  # seconds between progress lines (and breach checks)


class Watcher(threading.Thread):
    """Progress every TICK seconds; abort-on-breach checks during judged phases."""

    def __init__(self, run: RunState, source: PromQLSource) -> None:
        super().__init__(name="harness-run-watcher", daemon=True)
        self.run_ = run
        self.source = source
        self.stop = threading.Event()
        ext = run.scenario.harness
        self.armed = any(aborts_on_breach(s, ext.gate) for s in ext.slos)

    def run(self) -> None:
        while not self.stop.wait(TICK):
            try:
                self.tick()
            except Exception as exc:  # progress must never take the run down
                self.run_.printer.say(f"progress: {type(exc).__name__}: {exc}")

    def tick(self) -> None:
        from harness.load.stats import read_history

        r = self.run_
        now = time.time()
        history: ClientHistory | None
        try:
            history = read_history(r.locust_prefix)
        except (OSError, HarnessError, ValueError):
            history = None
        load = live_load(history.rows) if history is not None else None
        r.printer.update(
            progress_line(
                r.scenario.name, r.phase_label, now - r.started, now - r.phase_started,
                r.phase_length, load,
            )
        )  # fmt: skip
        if not self.armed or r.aborted is not None or r.halted is not None:
            return
        from harness.load.latency import read_latency

        try:
            latency = read_latency(r.locust_prefix)
        except HarnessError:
            return  # missing data never aborts a run
        windows = r.live_windows(now)
        if not windows or windows[-1].phase not in JUDGED_PHASES or windows[-1].end < now - 0.5:
            return
        try:
            reason = check_breach(
                r.scenario.harness, windows, now, source=self.source, client=latency,
                scrape_interval=r.scenario.harness.prometheus.scrape_interval,
            )  # fmt: skip
        except HarnessError:
            return  # missing data never aborts a run
        if reason:
            r.abort(reason)
