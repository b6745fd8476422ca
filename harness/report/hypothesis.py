"""The chaos experiment's own verdict, as `harness run` counts it (pure, from `ChaosSummary`).

    steady state not met after the method   the system failed           → failed (exit 1)
    steady state not met before the method  the system was not healthy → failed (exit 1)
    a hypothesis probe that could not run   no evidence either way     → could not judge (3)
      (except chaostoolkit-kubernetes' health probes, which answer "no" by raising: not met)
    a method activity that failed           the fault did not run as written → could not judge
    invalid (a fault did not take, faults left behind)                 → could not judge
    held, interrupted                       nothing to add (an interrupt has its own verdict)

`gate.fail_on.hypothesis: false` makes a hypothesis that was not met informational; a probe that
could not run still makes the run inconclusive (no data is never a pass).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.report.model import ChaosSummary, ProbeCheck, SteadyStateCheck


@dataclass(frozen=True)
class Findings:
    failed: tuple[str, ...] = ()  # the system under test failed its hypothesis
    unjudged: tuple[str, ...] = ()  # the experiment gives no usable evidence


# chaostoolkit-kubernetes' health probes (and the local target's versions of them) answer "no"
# by raising ActivityFailed (their raise_on_* flags are on by default): for them an exception is
# the check's answer, as Chaos Toolkit itself counts it, not a failure to check.
RAISE_WHEN_NOT_MET = frozenset(
    {
        "deployment_available_and_healthy",
        "deployment_fully_available",
        "deployment_partially_available",
        "microservice_available_and_healthy",
        "pods_in_phase",
        "pods_not_in_phase",
    }
)
_K8S_PROBE_MODULES = ("chaosk8s.", "harness.chaos.local.pods")


def _answers_by_raising(probe: ProbeCheck) -> bool:
    module, _, func = probe.provider.rpartition(".")
    return func in RAISE_WHEN_NOT_MET and module.startswith(_K8S_PROBE_MODULES)


def _raised(probe: ProbeCheck) -> bool:
    return bool(probe.status) and probe.status != "succeeded"


def _missed(check: SteadyStateCheck) -> str:
    missed = [p for p in check.probes if p.tolerance_met is False]
    if not missed:
        return "a probe outside its tolerance"
    return ", ".join(
        f"probe '{p.name}' said no: {_last_line(p.error)}"
        if _raised(p)
        else f"probe '{p.name}' returned {p.value or 'nothing'}, outside its tolerance"
        for p in missed
    )


_EXCEPTION_NAMES = re.compile(r"^(?:[\w.]*[A-Z]\w*: )+")


def _last_line(error: str) -> str:
    """The message without its exception names: `chaoslib.exceptions.ActivityFailed:
    harness.errors.CouldNotRun: deployment 'x' is not healthy` → `deployment 'x' is ...`."""
    return _EXCEPTION_NAMES.sub("", error.strip()) or error


def _errored(check: SteadyStateCheck) -> str | None:
    for p in check.probes:
        if _raised(p) and not _answers_by_raising(p):
            return (
                f"chaos: steady-state probe '{p.name}' could not run {check.when} the method: "
                f"{_last_line(p.error) if p.error else p.status}"
            )
    return None


def chaos_findings(chaos: ChaosSummary | None, *, hypothesis_fails: bool = True) -> Findings:
    """What the experiment adds to the run's verdict."""
    if chaos is None or chaos.ending in ("", "held", "interrupted"):
        return Findings()  # "" = a report written before the ending was recorded
    if chaos.ending == "invalid":
        return Findings(unjudged=(f"chaos: {chaos.reason}",))
    failed: list[str] = []
    unjudged: list[str] = []
    for check in chaos.steady_states:
        if check.met:
            continue
        errored = _errored(check)
        if errored:
            unjudged.append(errored)
        elif check.when == "before":
            failed.append(f"chaos: steady state not met before the method: {_missed(check)}")
        else:
            failed.append(f"chaos: steady state deviated after the method: {_missed(check)}")
    if chaos.ending == "failed" and not chaos.reason.startswith("steady state"):
        unjudged.append(f"chaos: the method did not run as written: {chaos.reason}")
    if not failed and not unjudged:  # the journal's steady states were not recorded
        failed.append(f"chaos: {chaos.reason or chaos.ending}")
    return Findings(tuple(failed) if hypothesis_fails else (), tuple(unjudged))
