"""The fault phase: the scenario's Chaos Toolkit experiment, timed, under load.

The experiment runs through `harness.chaos.runner.run_experiment` in the main thread (its guard
owns the signals meanwhile; rollbacks and the fault reset run on every ending). A chaoslib event
handler notes when the method starts and ends; when the scenario fixes the fault phase's length,
the same handler keeps the faults in place after the method's last activity until that length
has passed (a signal or an SLO abort ends the wait like any other point of the method).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.chaos.outcome import Ending, Outcome

HOLD_STEP = 0.1


@dataclass
class MethodClock:
    """When the method started and ended (Unix seconds), filled from chaoslib's events.

    `on_start`/`on_end` run in the main thread at those instants (live analyses of the fault
    phase start and stop with the method, not with the hypothesis around it).
    """

    start: float | None = None
    end: float | None = None
    on_start: Callable[[], None] | None = None
    on_end: Callable[[], None] | None = None


@dataclass(frozen=True)
class FaultResult:
    outcome: Outcome
    journal: dict[str, Any] | None
    clock: MethodClock
    signals: tuple[str, ...]
    ended_at: float  # rollbacks and the fault reset done

    @property
    def invalid(self) -> str | None:
        """Why the run cannot be trusted (a fault that did not take, faults left)."""
        return self.outcome.reason if self.outcome.ending is Ending.INVALID else None


def _timer(clock: MethodClock, fixed: float | None) -> Any:
    from chaoslib.run import RunEventHandler

    class MethodTimer(RunEventHandler):  # type: ignore[misc]  # chaoslib has no type hints
        def start_method(self, experiment: Any) -> None:
            clock.start = time.time()
            if clock.on_start is not None:
                clock.on_start()

        def method_completed(self, experiment: Any, state: Any = None) -> None:
            # state is None when the method failed: nothing to hold in place then
            if state is not None and fixed is not None and clock.start is not None:
                while (left := clock.start + fixed - time.time()) > 0:
                    time.sleep(min(HOLD_STEP, left))
            clock.end = time.time()
            if clock.on_end is not None:
                clock.on_end()

    return MethodTimer()


def chaos_variables(
    experiment: Mapping[str, Any],
    *,
    gateway: str,
    prometheus: str,
    state: Path,
    namespace: str | None = None,
) -> dict[str, str]:
    """Configuration overrides pointing the experiment's own probes at this stack."""
    config = experiment.get("configuration") or {}
    out: dict[str, str] = {}
    if "namespace" in config and namespace:
        out["namespace"] = namespace  # `ns: ${namespace}` in Kubernetes activities
    if "gateway_url" in config:
        out["gateway_url"] = gateway
    if "prometheus_base_url" in config:
        out["prometheus_base_url"] = prometheus
    for key, value in config.items():
        # record files of probes (committed orders...) live in this stack's state folder
        if key.endswith("_record_file") and isinstance(value, str):
            out[key] = str(state / "chaos" / Path(value).name)
    return out


def run_fault(
    experiment: Path,
    *,
    journal: Path,
    state: Path,
    variables: Mapping[str, str],
    fixed: float | None,
    secrets: set[str],
    clock: MethodClock,
    target: str = "local",
) -> FaultResult:
    """Run the experiment; return its outcome, redacted journal and method timing."""
    from harness.chaos.runner import RunRequest, Target, run_experiment

    ttl = max(300.0, (fixed or 0.0) + 120.0)  # faults expire on their own after a SIGKILL
    result = run_experiment(
        RunRequest(
            experiment=experiment,
            journal=journal,
            state_dir=state,
            target=Target(target),
            fault_ttl_seconds=ttl,
            variables=dict(variables),
        ),
        secrets_seen=secrets,
        events=[_timer(clock, fixed)],
    )
    try:
        data = json.loads(result.journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    return FaultResult(result.outcome, data, clock, result.signals, time.time())
