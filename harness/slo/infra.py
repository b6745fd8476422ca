"""The harness's own parts during a run: what broke, when, and whether it spoils a verdict.

A run stands on parts the harness provides (the controller, the mesh and the gateway it
serves, Prometheus, the fork server, the load generator, the fault ledger). When one of them
dies or restarts inside a judged window, whatever the SLOs saw may be the harness's trouble,
not the system's: the run is "could not judge" (exit 3), never "failed" or "passed". Pure:
events in (gathered by `harness.run.infra`), reasons out.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from harness.scenario.model import JUDGED_PHASES, Phase
from harness.slo.model import PhaseWindow


class Part(StrEnum):
    """A part of the run the harness provides (not the system under test)."""

    CONTROLLER = "controller"
    MESH = "mesh"
    GATEWAY = "gateway"
    PROMETHEUS = "prometheus"
    FORK_SERVER = "fork-server"
    LOAD = "load-generator"
    LEDGER = "fault-ledger"


# Parts a scenario may kill on purpose (`gate.injected_parts`); without the controller nothing
# is left to run the experiment, and without the load or the ledger nothing is measured or undone.
INJECTABLE: tuple[Part, ...] = (Part.MESH, Part.GATEWAY, Part.PROMETHEUS, Part.FORK_SERVER)


class InfraEvent(BaseModel):
    """One part died, restarted or stopped answering, at Unix time `at`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    part: Part
    at: float
    what: str  # "restarted (pid 812 -> 907)", "died", "stopped answering"
    fatal: bool = False  # the run cannot go on (the controller is gone)


def clock(at: float) -> str:
    """`12:34:56.7 UTC`: the wall time a person can find in the logs."""
    return time.strftime("%H:%M:%S", time.gmtime(at)) + f".{int(at * 10) % 10} UTC"


def window_of(at: float, windows: Sequence[PhaseWindow]) -> PhaseWindow | None:
    """The judged window that holds `at` ((start, end], like the windows themselves)."""
    for window in windows:
        if window.phase in JUDGED_PHASES and window.start < at <= window.end:
            return window
    return None


def describe(event: InfraEvent, windows: Sequence[PhaseWindow]) -> str:
    first = min((w.start for w in windows), default=event.at)
    return f"{event.part.value} {event.what} at {clock(event.at)} (t+{event.at - first:.1f}s)"


def breakages(
    events: Sequence[InfraEvent],
    windows: Sequence[PhaseWindow],
    *,
    injected: Collection[str] = (),
) -> list[str]:
    """A reason for every event that lands inside a judged window, in time order.

    A part the scenario names in `gate.injected_parts` may restart inside the fault window (it
    is the fault); anywhere else, and for every other part, the run cannot be judged. A fatal
    event (the controller died) counts wherever it lands: the run stopped there.
    """
    reasons = []
    for event in sorted(events, key=lambda e: e.at):
        window = window_of(event.at, windows)
        if window is None and not event.fatal:
            continue  # warm-up, or after the last window: nothing judged saw it
        if (
            window is not None
            and window.phase is Phase.FAULT
            and event.part in INJECTABLE
            and event.part.value in injected
        ):
            continue
        where = f"inside the {window.phase.value} window" if window is not None else "mid-run"
        reasons.append(
            f"{describe(event, windows)}, {where}: a part the harness provides broke, "
            "so the system under test cannot be judged"
        )
    return reasons


__all__ = ["INJECTABLE", "InfraEvent", "Part", "breakages", "clock", "describe", "window_of"]
