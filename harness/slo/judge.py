"""Pure judging: a measurement becomes a verdict; verdicts and analyses become the run's verdict.

The order of the checks matters: every reason to distrust the evidence (window too short,
query failed, no data, NaN, too few points, stale) is tried before the objective is compared,
so no data can never come out as `passed`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from harness.errors import ExitCode
from harness.scenario.model import Direction, GatePolicy, SloSpec
from harness.slo.model import Measurement, RunVerdict, SloVerdict, Verdict


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "none"
    text = f"{value:.4g}"
    return f"{text} {unit}" if unit else text


def breaches(value: float, objective: float, direction: Direction) -> bool:
    """True when `value` is on the wrong side of `objective`."""
    if direction is Direction.AT_LEAST:
        return value < objective
    return value > objective


def aborts_on_breach(slo: SloSpec, gate: GatePolicy) -> bool:
    """Whether a breach of `slo` stops the run early: its own setting, else the gate's."""
    return slo.abort_on_breach if slo.abort_on_breach is not None else gate.abort_on_breach


def _inconclusive(slo: SloSpec, m: Measurement, reason: str) -> SloVerdict:
    return _verdict(slo, m, Verdict.INCONCLUSIVE, reason)


def _verdict(slo: SloSpec, m: Measurement, verdict: Verdict, reason: str) -> SloVerdict:
    value = m.value if m.value is not None and not math.isnan(m.value) else None
    return SloVerdict(
        slo=slo.name,
        service=slo.service,
        phase=m.phase,
        verdict=verdict,
        objective=slo.objective,
        direction=slo.wants,
        unit=slo.unit,
        value=value,
        query=m.query,
        reason=reason,
        start=m.start,
        end=m.end,
    )


def judge(slo: SloSpec, m: Measurement) -> SloVerdict:
    """The verdict of `slo` over one window, from the evidence in `m`."""
    length = m.end - m.start
    if m.min_window and length < m.min_window:
        return _inconclusive(
            slo,
            m,
            (
                f"window {length:.3g}s is shorter than 4 scrape intervals ({m.min_window:g}s): "
                "too short for rate(); lengthen the phase"
            ),
        )
    if m.error:
        return _inconclusive(slo, m, m.error)
    if m.value is None:
        if m.total == 0:
            return _inconclusive(slo, m, "no traffic in the window (total is 0)")
        return _inconclusive(slo, m, "no data: the query returned no series")
    if math.isnan(m.value):
        return _inconclusive(slo, m, "value is NaN (no requests in the window?)")
    if m.points < 2:
        return _inconclusive(slo, m, f"{m.points} sample(s) in the window; at least 2 needed")
    if m.stale_after and (m.last_sample_at is None or m.end - m.last_sample_at > m.stale_after):
        age = "never" if m.last_sample_at is None else f"{m.end - m.last_sample_at:.3g}s before"
        return _inconclusive(slo, m, f"stale series: last sample {age} the window end")
    sign = ">=" if slo.wants is Direction.AT_LEAST else "<="
    if breaches(m.value, slo.objective, slo.wants):
        wrong = "<" if slo.wants is Direction.AT_LEAST else ">"
        return _verdict(
            slo,
            m,
            Verdict.FAILED,
            f"{fmt(m.value, slo.unit)} {wrong} {fmt(slo.objective, slo.unit)}: "
            f"objective is {sign} {fmt(slo.objective, slo.unit)}",
        )
    return _verdict(
        slo, m, Verdict.PASSED, f"{fmt(m.value, slo.unit)} {sign} {fmt(slo.objective, slo.unit)}"
    )


# What a Rollout does with an AnalysisRun that ended in each phase (docs/parity.md, Argo table)
ARGO_ACTIONS = {
    "Successful": "Argo would promote",
    "Failed": "Argo would abort the rollout",
    "Error": "Argo would abort the rollout",
    "Inconclusive": "Argo would pause the rollout for a person",
}


def argo_action(phase: str) -> str:
    """What the Argo Rollouts controller would do with an analysis run in `phase`."""
    return ARGO_ACTIONS.get(phase, "not finished: Argo would still be waiting")


@dataclass(frozen=True)
class RunOutcome:
    """The run's verdict, its exit code and the reasons, most important first."""

    verdict: RunVerdict
    exit_code: ExitCode
    reasons: tuple[str, ...]


def overall(
    verdicts: Sequence[SloVerdict],
    analyses: Sequence[tuple[str, str]],
    policy: GatePolicy,
    *,
    interrupted: bool = False,
    aborted: str | None = None,
    invalid: Sequence[str] = (),
    failed: Sequence[str] = (),
    infra: Sequence[str] = (),
) -> RunOutcome:
    """Combine SLO verdicts and analysis run phases (name, Argo phase) under the gate policy.

    `invalid` lists reasons the run itself cannot be trusted (a fault that did not apply,
    saturated load, a tool that crashed): they make a passing run inconclusive. `failed` lists
    other ways the system under test failed (the experiment's steady-state hypothesis).
    `infra` lists parts the harness provides that broke inside a judged window
    (`harness.slo.infra.breakages`): they make any verdict but an interruption inconclusive,
    since a failed SLO may be the harness's own trouble.
    """
    fails: list[str] = list(failed)
    unjudged: list[str] = list(invalid)
    for v in verdicts:
        label = f"SLO {v.slo} in {v.phase.value}: {v.verdict.value} ({v.reason})"
        if v.verdict.value in policy.fail_on.slo:
            fails.append(label)
        elif v.verdict is Verdict.INCONCLUSIVE:
            unjudged.append(label)
    for name, phase in analyses:
        label = f"analysis {name}: {phase} ({argo_action(phase)})"
        if phase in policy.fail_on.analysis:
            fails.append(label)
        elif phase != "Successful":  # Error, Inconclusive, or still Running at the end
            unjudged.append(label)
    if interrupted:
        verdict = RunVerdict.INTERRUPTED
        reasons = ["interrupted before the run finished", *fails, *unjudged]
    elif infra:
        verdict = RunVerdict.INCONCLUSIVE
        also = [f"not trusted: {x}" for x in fails]
        reasons = [*infra, *([f"aborted: {aborted}"] if aborted else []), *also, *unjudged]
    elif aborted:
        verdict = RunVerdict.ABORTED
        reasons = [f"aborted: {aborted}", *fails, *unjudged]
    elif fails:
        verdict, reasons = RunVerdict.FAILED, [*fails, *unjudged]
    elif unjudged:
        verdict, reasons = RunVerdict.INCONCLUSIVE, unjudged
    else:
        verdict, reasons = RunVerdict.PASSED, []
    return RunOutcome(verdict, verdict.exit_code, tuple(reasons))
