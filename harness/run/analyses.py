"""The scenario's Argo analyses: live during the run (a thread each) or replayed afterwards.

Replays run over `span(windows, spec.phases)` with the scenario's `interval_scale` as the time
scale, each query evaluated at the instant Argo would have taken it. Live analyses start when
their first phase begins and are stopped when their last phase ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from harness.report.model import AnalysisRun
from harness.scenario.model import AnalysisSpec, Phase
from harness.slo.evaluate import span
from harness.slo.model import PhaseWindow

if TYPE_CHECKING:  # the analysis (an expression evaluator) is imported only by runs that use it
    from harness.analysis.state import AnalysisRunState


def _prepared_state(spec: AnalysisSpec, root: Path) -> AnalysisRunState:
    from harness.analysis import AnalysisRunState, load_template, prepare_checked

    path = root / spec.template
    template = load_template(path)
    prepared = prepare_checked(template, dict(spec.args), str(path))
    return AnalysisRunState(
        prepared, time_scale=spec.interval_scale, terminate=template.spec.terminate
    )


def _record(
    spec: AnalysisSpec,
    state: AnalysisRunState,
    notes: list[str],
    start: float | None,
    end: float | None,
) -> AnalysisRun:
    from harness.analysis.render import to_json

    return AnalysisRun.from_analyze_json(
        to_json(state, notes),
        template=spec.template,
        args=dict(spec.args),
        mode=spec.mode,
        start=start,
        end=end,
    )


def _unfinished(left: Sequence[str]) -> str:
    return (
        "the phases ended before these metrics finished: " + ", ".join(left)
        + " (lengthen the phases or lower interval_scale)"
    )  # fmt: skip


def check_analyses(specs: Sequence[AnalysisSpec], root: Path) -> None:
    """Load and prepare every template before the run starts (ConfigError: exit 2)."""
    for spec in specs:
        _prepared_state(spec, root)


def replay_one(
    spec: AnalysisSpec, windows: Sequence[PhaseWindow], *, prometheus: str, root: Path
) -> AnalysisRun | None:
    """Replay one analysis over its phases as they happened; None when none was reached."""
    from harness.analysis import replay
    from harness.prometheus.client import Clients

    bounds = span(windows, spec.phases)
    if bounds is None:
        return None
    state = _prepared_state(spec, root)
    clients = Clients()
    notes: list[str] = []
    try:
        left = replay(state, clients, start=bounds[0], end=bounds[1], prometheus=prometheus)
    finally:
        clients.close()
    if left:
        notes.append(_unfinished(left))
    return _record(spec, state, notes, bounds[0], bounds[1])


@dataclass
class _Live:
    spec: AnalysisSpec
    state: AnalysisRunState
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    start: float | None = None
    end: float | None = None
    notes: list[str] = field(default_factory=list)


class LiveAnalyses:
    """Live analyses of one run: started and stopped as phases begin and end."""

    def __init__(self, specs: Sequence[AnalysisSpec], *, prometheus: str, root: Path) -> None:
        self.prometheus = prometheus
        self.runs = [_Live(s, _prepared_state(s, root)) for s in specs if s.mode == "live"]

    def phase_started(self, phase: Phase) -> None:
        for run in self.runs:
            if run.thread is None and phase in run.spec.phases:
                run.start = time.time()
                run.thread = threading.Thread(
                    target=self._drive, args=(run,), name="analysis-live", daemon=True
                )
                run.thread.start()

    def phase_ended(self, phase: Phase) -> None:
        for run in self.runs:
            if run.thread is not None and phase == run.spec.phases[-1]:
                run.stop.set()

    def _drive(self, run: _Live) -> None:
        from harness.analysis import run_live
        from harness.errors import HarnessError
        from harness.prometheus.client import Clients

        clients = Clients()
        try:
            left = run_live(run.state, clients, prometheus=self.prometheus, stop=run.stop)
            if left:
                run.notes.append(_unfinished(left))
        except HarnessError as exc:  # recorded as a note; the run's phase stays unfinished
            run.notes.append(str(exc))
        except Exception as exc:  # a crashed thread must still leave a reason in the report
            run.notes.append(f"live analysis crashed: {type(exc).__name__}: {exc}")
        finally:
            run.end = time.time()
            clients.close()

    def finish(self) -> list[AnalysisRun]:
        """Stop every live analysis and record it (one never started is not recorded)."""
        out = []
        for run in self.runs:
            if run.thread is None:
                continue
            run.stop.set()
            run.thread.join(timeout=30.0)
            if run.thread.is_alive():  # a query stuck past the timeout: judge what we have
                run.notes.append("live analysis still measuring when the run ended")
            out.append(_record(run.spec, run.state, list(run.notes), run.start, run.end))
        return out
