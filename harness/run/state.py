"""The state of one `harness run`, shared by the main thread and the watcher thread."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from harness.run.faultphase import FaultResult, MethodClock
from harness.run.progress import ProgressPrinter
from harness.run.target import KubeOptions, StackHandle
from harness.run.timeline import Timeline
from harness.scenario.loader import Scenario
from harness.scenario.model import Phase
from harness.slo.model import PhaseWindow

if TYPE_CHECKING:
    from harness.report.model import PreflightQuery, Report


@dataclass(frozen=True)
class RunOptions:
    scenario: str
    target: str = "local"
    out: Path = Path("reports")
    keep_up: bool = False
    junit: Path | None = None
    state_dir: Path | None = None
    root: Path | None = None  # project root (experiments/, loadtests/, deploy/)
    progress: TextIO | None = None
    kube: KubeOptions | None = None  # --target kubernetes: cluster, gateway, Prometheus
    verbose: bool = False  # -v: also print every resolved pre-flight query
    allowed_hosts: tuple[str, ...] = ()  # --allow-host: non-loopback hosts traffic may go to
    history_db: Path | None = None  # the run store; default <out>/history.sqlite


@dataclass(frozen=True)
class RunSummary:
    report: Report
    folder: Path
    seconds: float  # whole command
    verdict_seconds: float  # end of the last window → report written


@dataclass
class RunState:
    """The state of one run, shared by the main thread and the watcher."""

    scenario: Scenario
    options: RunOptions
    root: Path
    state: Path
    printer: ProgressPrinter
    work: Path
    started: float = field(default_factory=time.time)
    timeline: Timeline = field(default_factory=Timeline)
    clock: MethodClock | None = None  # set while the experiment runs
    aborted: str | None = None
    halted: str | None = None  # a harness part broke: stop now, judge nothing (infra.py)
    abort_event: threading.Event = field(default_factory=threading.Event)
    invalid: list[str] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    handle: StackHandle | None = None
    preflight: list[PreflightQuery] = field(default_factory=list)  # queries checked up front
    fault: FaultResult | None = None
    phase_label: str = "starting"
    phase_started: float = 0.0
    phase_length: float | None = None

    @property
    def locust_prefix(self) -> Path:
        return self.work / "locust" / "locust"

    def enter(self, label: str, length: float | None) -> None:
        """What the progress line shows from now on."""
        self.phase_label, self.phase_started, self.phase_length = label, time.time(), length

    # -- what the watcher sees -------------------------------------------------------------

    def live_windows(self, now: float) -> list[PhaseWindow]:
        windows = self.timeline.so_far(now)
        clock = self.clock
        if clock is not None and clock.start is not None and clock.end is None:
            windows.append(PhaseWindow(phase=Phase.FAULT, start=clock.start, end=now))
        return windows

    @property
    def stopping(self) -> bool:
        """The phases must end now: aborted on a breach, or halted by a broken part."""
        return self.abort_event.is_set()

    def halt(self, reason: str) -> None:
        """A part the harness provides broke: end the phases now (rollbacks still run)."""
        if self.halted is not None:
            return
        self.halted = reason
        self.abort_event.set()
        self.printer.say(f"stopping the run: {reason}")
        if self.clock is not None and self.clock.end is None:
            from harness.chaos.interrupts import request_stop

            request_stop()

    def abort(self, reason: str) -> None:
        if self.aborted is not None or self.halted is not None:
            return
        self.aborted = reason
        self.abort_event.set()
        self.printer.say(f"aborting: {reason}")
        if self.clock is not None and self.clock.end is None:
            from harness.chaos.interrupts import request_stop

            request_stop()  # the chaos guard turns it into an interruption; rollbacks run
