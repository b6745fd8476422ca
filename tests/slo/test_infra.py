"""A harness part that broke inside a judged window makes any verdict "could not judge"."""

from __future__ import annotations

from harness.scenario.model import GatePolicy, Phase
from harness.slo.infra import InfraEvent, Part, breakages
from harness.slo.judge import overall
from harness.slo.model import PhaseWindow, RunVerdict

T0 = 1_700_000_000.0
WINDOWS = [
    PhaseWindow(phase=Phase.WARMUP, start=T0, end=T0 + 10),
    PhaseWindow(phase=Phase.BASELINE, start=T0 + 10, end=T0 + 20),
    PhaseWindow(phase=Phase.FAULT, start=T0 + 20, end=T0 + 30),
    PhaseWindow(phase=Phase.RECOVERY, start=T0 + 30, end=T0 + 40),
]


def event(part: Part, at: float, *, fatal: bool = False) -> InfraEvent:
    return InfraEvent(part=part, at=T0 + at, what="exited (pid 1, code -9)", fatal=fatal)


def test_a_restart_in_a_judged_window_names_the_part_the_time_and_the_window() -> None:
    [reason] = breakages([event(Part.MESH, 25)], WINDOWS)
    assert reason.startswith("mesh exited (pid 1, code -9) at 22:13:45.0 UTC (t+25.0s)")
    assert "inside the fault window" in reason


def test_warmup_and_after_the_run_are_not_judged() -> None:
    assert breakages([event(Part.PROMETHEUS, 5), event(Part.MESH, 41)], WINDOWS) == []


def test_a_fatal_event_counts_wherever_it_lands() -> None:
    [reason] = breakages([event(Part.CONTROLLER, 45, fatal=True)], WINDOWS)
    assert reason.startswith("controller ") and "mid-run" in reason


def test_a_scenario_may_inject_a_part_fault_in_the_fault_window_only() -> None:
    events = [event(Part.MESH, 25), event(Part.MESH, 35), event(Part.CONTROLLER, 26)]
    reasons = breakages(events, WINDOWS, injected=["mesh"])
    assert [r.split(" at ")[0] for r in reasons] == [
        "controller exited (pid 1, code -9)",  # the controller is never injectable
        "mesh exited (pid 1, code -9)",  # in recovery: not the fault any more
    ]
    assert "recovery window" in reasons[1]


def test_infra_beats_a_failed_slo_and_an_abort_but_not_an_interrupt() -> None:
    broke = ["mesh exited at ..."]
    outcome = overall([], [], GatePolicy(), failed=["hypothesis failed"], infra=broke)
    assert outcome.verdict is RunVerdict.INCONCLUSIVE and int(outcome.exit_code) == 3
    assert outcome.reasons == ("mesh exited at ...", "not trusted: hypothesis failed")
    aborted = overall([], [], GatePolicy(), aborted="SLO x breached", infra=broke)
    assert aborted.verdict is RunVerdict.INCONCLUSIVE
    interrupted = overall([], [], GatePolicy(), interrupted=True, infra=broke)
    assert interrupted.verdict is RunVerdict.INTERRUPTED
