"""How a finished run is judged: a pure function of the journal and what the harness saw.

held         exit 0    steady state met before and after, every action succeeded
deviated     exit 1    steady state not met after the method
failed       exit 1    steady state not met before the method, or an action failed
invalid      exit 3    a fault did not take, a probe could not get data, the method crashed,
                       or faults could not be removed
interrupted  exit 130  SIGINT, SIGTERM (rollbacks and the reset still ran)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from harness.errors import ExitCode


class Ending(StrEnum):
    HELD = "held"
    DEVIATED = "deviated"
    FAILED = "failed"
    INVALID = "invalid"
    INTERRUPTED = "interrupted"


_EXIT = {
    Ending.HELD: ExitCode.PASSED,
    Ending.DEVIATED: ExitCode.FAILED,
    Ending.FAILED: ExitCode.FAILED,
    Ending.INVALID: ExitCode.COULD_NOT_JUDGE,
    Ending.INTERRUPTED: ExitCode.INTERRUPTED,
}


@dataclass(frozen=True)
class Outcome:
    ending: Ending
    reason: str

    @property
    def exit_code(self) -> ExitCode:
        return _EXIT[self.ending]


def _name(run: Mapping[str, Any]) -> str:
    return str((run.get("activity") or {}).get("name", "?"))


def _error(run: Mapping[str, Any]) -> str:
    lines = run.get("exception") or []
    text = lines[-1] if lines else "failed"
    return " ".join(str(text).split())


def _process_exit(run: Mapping[str, Any]) -> int:
    provider = (run.get("activity") or {}).get("provider") or {}
    output = run.get("output")
    if provider.get("type") != "process" or not isinstance(output, Mapping):
        return 0
    status = output.get("status")
    return status if isinstance(status, int) else 0


def _probes(state: Mapping[str, Any] | None) -> Sequence[Mapping[str, Any]]:
    return list((state or {}).get("probes") or [])


def _missed(state: Mapping[str, Any]) -> str:
    missed = [_name(p) for p in _probes(state) if not p.get("tolerance_met", True)]
    return ", ".join(missed) or "?"


def judge(
    journal: Mapping[str, Any] | None,
    *,
    signals: Sequence[str] = (),
    invalid: Sequence[str] = (),
    reset_problem: str = "",
) -> Outcome:
    """The ending of a run, with a one-line reason a person can act on."""
    journal = journal or {}
    if signals or journal.get("status") == "interrupted":
        how = signals[0] if signals else "a signal"
        tail = f"; {reset_problem}" if reset_problem else "; rollbacks ran and faults were reset"
        return Outcome(Ending.INTERRUPTED, f"interrupted by {how}{tail}")
    if invalid:
        return Outcome(Ending.INVALID, "run invalid: " + "; ".join(invalid))
    if reset_problem:
        return Outcome(Ending.INVALID, reset_problem)
    steady = journal.get("steady_states") or {}
    before = steady.get("before")
    if before and not before.get("steady_state_met", False):
        errored = [p for p in _probes(before) if p.get("status") != "succeeded"]
        if errored:
            p = errored[0]
            return Outcome(
                Ending.INVALID,
                f"steady-state probe '{_name(p)}' could not run before the method: {_error(p)}",
            )
        return Outcome(
            Ending.FAILED, f"steady state not met before the method (probe {_missed(before)})"
        )
    if journal.get("status") == "aborted":
        return Outcome(Ending.INVALID, "the method crashed; see the journal")
    for run in journal.get("run") or []:
        if run.get("status") == "failed":
            return Outcome(Ending.FAILED, f"activity '{_name(run)}' failed: {_error(run)}")
        code = _process_exit(run)
        if code:  # chaoslib logs a warning and calls the activity "succeeded"
            return Outcome(Ending.FAILED, f"activity '{_name(run)}' exited with status {code}")
    after = steady.get("after")
    if journal.get("deviated") or (after and not after.get("steady_state_met", True)):
        errored = [p for p in _probes(after) if p.get("status") != "succeeded"]
        which = (
            _name(errored[0]) + f" errored: {_error(errored[0])}"
            if errored
            else _missed(after or {})
        )
        return Outcome(Ending.DEVIATED, f"steady state deviated after the method (probe {which})")
    if journal.get("status") == "failed":
        return Outcome(Ending.FAILED, "the experiment failed; see the journal")
    return Outcome(Ending.HELD, "steady state held before and after the method")
