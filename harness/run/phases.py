"""The timed part of `harness run`: warm-up and baseline, the fault, recovery.

Each phase is held open for its length while Locust keeps running; an abort (a breach, see
`watcher.py`) ends the current phase early, and the fault's rollbacks still run.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from harness.errors import ExitCode
from harness.run.analyses import LiveAnalyses
from harness.run.faultphase import FaultResult, MethodClock, chaos_variables, run_fault
from harness.run.state import RunState
from harness.run.timeline import fault_window
from harness.scenario.model import Phase

if TYPE_CHECKING:
    from harness.load import LoadRun

STEP = 0.1  # granularity of the phase timers


class LoadStopped(Exception):
    """Locust exited while the run still needed load."""


def _hold(run: RunState, load: LoadRun, phase: Phase, seconds: float) -> None:
    """Keep `phase` open for `seconds` (less when the run is aborted)."""
    run.enter(phase.value, seconds)
    deadline = time.time() + seconds
    while (left := deadline - time.time()) > 0:
        if run.abort_event.is_set():
            return
        if not load.running:
            raise LoadStopped("the load generator exited early (see locust.log)")
        time.sleep(min(STEP, left))


def run_phases(run: RunState, load: LoadRun, live: LiveAnalyses) -> None:
    """Every phase in order; returns early when the run is aborted.

    Raises KeyboardInterrupt when the experiment was interrupted, LoadStopped when Locust died.
    """
    ext = run.scenario.harness
    tl = run.timeline
    for phase in (Phase.WARMUP, Phase.BASELINE):
        tl.begin(phase, time.time())
        live.phase_started(phase)
        run.printer.say(f"{phase.value}: {ext.phases.fixed(phase):g}s")
        _hold(run, load, phase, ext.phases.fixed(phase) or 0.0)
        live.phase_ended(phase)
        if run.stopping:
            return
    tl.close(time.time())
    fault = _fault(run, live)
    stopped = run.aborted is not None or run.halted is not None
    if fault.outcome.exit_code is ExitCode.INTERRUPTED and not stopped:
        raise KeyboardInterrupt(fault.signals[0] if fault.signals else "SIGINT")
    if run.stopping:
        return
    tl.begin(Phase.RECOVERY, time.time())
    live.phase_started(Phase.RECOVERY)
    length = ext.phases.fixed(Phase.RECOVERY) or 0.0
    run.printer.say(f"recovery: {length:g}s")
    _hold(run, load, Phase.RECOVERY, length)
    live.phase_ended(Phase.RECOVERY)


def _fault(run: RunState, live: LiveAnalyses) -> FaultResult:
    ext = run.scenario.harness
    assert run.handle is not None
    fixed = ext.phases.fixed(Phase.FAULT)
    # live analyses of the fault start and stop with the method (the fault window)
    clock = MethodClock(
        on_start=lambda: live.phase_started(Phase.FAULT),
        on_end=lambda: live.phase_ended(Phase.FAULT),
    )
    run.clock = clock
    run.enter("fault", fixed)
    run.printer.say("fault: " + (f"{fixed:g}s" if fixed is not None else "until the method ends"))
    variables = chaos_variables(
        run.scenario.experiment,
        gateway=run.handle.gateway,
        prometheus=run.handle.prometheus,
        state=run.state,
        namespace=run.handle.namespace,
    )
    try:
        result = run_fault(
            run.scenario.path,
            journal=run.work / "journal.json",
            state=run.state,
            variables=variables,
            fixed=fixed,
            secrets=run.secrets,
            clock=clock,
            target=run.handle.target,
        )
    finally:
        window = fault_window(clock.start, clock.end, stopped_at=time.time(), fixed=fixed)
        if window is not None:
            run.timeline.add(Phase.FAULT, *window)
        live.phase_ended(Phase.FAULT)
        run.clock = None
    run.fault = result
    if result.invalid and result.journal is None:  # else the report judges the journal's ending
        run.invalid.append(f"chaos experiment: {result.invalid}")
    run.printer.say(f"chaos: {result.outcome.ending}: {result.outcome.reason}")
    return result
