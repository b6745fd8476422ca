"""Argo Rollouts' blue-green state machine, pure: phases, transitions and messages as Argo has them.

    decision = reconcile(Rollout(name, replicas, blue_green(spec["strategy"]), hash),
                         status, replica_sets, runs, now)
    decision.status.phase(...), decision.replicas, decision.start_runs, decision.events

`spec` reads the strategy, `status` holds the RolloutStatus with its phase and message,
`records` the Rollout, ReplicaSets and Decision, `bluegreen` is the reconcile, `settle` repeats
it. The local controller (`harness.cluster.local.rollouts`) applies the decisions to pods and
Services and drives the analyses with `harness.analysis`.
"""

from __future__ import annotations

from harness.rollout.bluegreen import reconcile
from harness.rollout.pause import abort, promote, retry
from harness.rollout.records import Decision, ReplicaSet, Rollout
from harness.rollout.settle import settle
from harness.rollout.spec import POD_TEMPLATE_HASH, AnalysisRef, BlueGreen, SpecProblem, blue_green
from harness.rollout.status import (
    PauseCondition,
    PauseReason,
    RolloutPhase,
    RolloutStatus,
    RunKind,
    RunStatus,
    phase,
)

__all__ = [
    "POD_TEMPLATE_HASH",
    "AnalysisRef",
    "BlueGreen",
    "Decision",
    "PauseCondition",
    "PauseReason",
    "ReplicaSet",
    "Rollout",
    "RolloutPhase",
    "RolloutStatus",
    "RunKind",
    "RunStatus",
    "SpecProblem",
    "abort",
    "blue_green",
    "phase",
    "promote",
    "reconcile",
    "retry",
    "settle",
]
