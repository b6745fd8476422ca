"""The status of a blue-green Rollout, and its phase and message as Argo computes them.

Field names follow `RolloutStatus` (`pkg/apis/rollouts/v1alpha1/types.go`); the phase and
message are `CalculateRolloutPhase` (`utils/rollout/rolloututil.go`), the condition messages are
`utils/conditions/conditions.go`'s. Records are frozen; `to_json` is what the admin API and
`harness rollout status --json` print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from harness.analysis.phase import AnalysisPhase

# utils/conditions/conditions.go
ABORTED_REASON = "RolloutAborted"
ABORTED_MESSAGE = "Rollout aborted update to revision {revision}"
RETRY_MESSAGE = "Retrying Rollout after abort"
COMPLETED_MESSAGE = "Rollout completed update to revision {revision} ({hash}): {reason}"
PRE_FAILED = "Blue/green pre-promotion analysis phase error/failed"
POST_FAILED = "Blue/green post-promotion analysis phase error/failed"


class RolloutPhase(StrEnum):
    HEALTHY = "Healthy"
    PROGRESSING = "Progressing"
    PAUSED = "Paused"
    DEGRADED = "Degraded"


class PauseReason(StrEnum):
    BLUE_GREEN_PAUSE = "BlueGreenPause"
    INCONCLUSIVE_ANALYSIS = "InconclusiveAnalysis"


class RunKind(StrEnum):
    """Which analysis of a blue-green update (the `rollout-type` label Argo puts on the run)."""

    PRE = "PrePromotion"
    POST = "PostPromotion"

    @property
    def infix(self) -> str:
        return "pre" if self is RunKind.PRE else "post"


@dataclass(frozen=True)
class PauseCondition:
    reason: PauseReason
    start: float


@dataclass(frozen=True)
class RunStatus:
    """`RolloutAnalysisRunStatus`: the current run of one kind, as the rollout last saw it."""

    name: str
    kind: RunKind
    phase: AnalysisPhase = AnalysisPhase.PENDING
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": str(self.phase), "message": self.message}


@dataclass(frozen=True)
class RolloutStatus:
    current_pod_hash: str = ""
    stable_rs: str = ""
    revision: int = 0
    active_selector: str = ""
    preview_selector: str = ""
    pause_conditions: tuple[PauseCondition, ...] = ()
    controller_pause: bool = False
    abort: bool = False
    aborted_at: float | None = None
    promote_full: bool = False
    pre_promotion: RunStatus | None = None
    post_promotion: RunStatus | None = None
    # the Progressing condition's reason and message (RolloutAborted keeps its first message)
    progress_reason: str = ""
    progress_message: str = ""
    # pod counts of the new ReplicaSet and of the one the active Service selects
    updated_replicas: int = 0
    available_replicas: int = 0
    used_names: tuple[str, ...] = field(default=(), repr=False)  # analysis run names taken

    def pause(self, reason: PauseReason) -> PauseCondition | None:
        return next((c for c in self.pause_conditions if c.reason is reason), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "currentPodHash": self.current_pod_hash,
            "stableRS": self.stable_rs,
            "revision": self.revision,
            "abort": self.abort,
            "abortedAt": self.aborted_at,
            "controllerPause": self.controller_pause,
            "pauseConditions": [
                {"reason": str(c.reason), "startTime": c.start} for c in self.pause_conditions
            ],
            "promoteFull": self.promote_full,
            "updatedReplicas": self.updated_replicas,
            "availableReplicas": self.available_replicas,
            "blueGreen": {
                "activeSelector": self.active_selector,
                "previewSelector": self.preview_selector,
                "prePromotionAnalysisRunStatus": _run(self.pre_promotion),
                "postPromotionAnalysisRunStatus": _run(self.post_promotion),
            },
            "progressing": {"reason": self.progress_reason, "message": self.progress_message},
        }


def _run(run: RunStatus | None) -> dict[str, Any] | None:
    return None if run is None else run.to_json()


def phase(status: RolloutStatus, *, replicas: int, post_analysis: bool) -> tuple[RolloutPhase, str]:
    """`CalculateRolloutPhase` for a blue-green rollout (spec.paused is not modelled)."""
    if status.progress_reason == ABORTED_REASON:
        return RolloutPhase.DEGRADED, f"{ABORTED_REASON}: {status.progress_message}"
    for cond in status.pause_conditions:
        return RolloutPhase.PAUSED, str(cond.reason)
    if status.updated_replicas < replicas:
        return RolloutPhase.PROGRESSING, "more replicas need to be updated"
    if status.available_replicas < status.updated_replicas:
        return RolloutPhase.PROGRESSING, "updated replicas are still becoming available"
    if status.active_selector == "" or status.active_selector != status.current_pod_hash:
        return RolloutPhase.PROGRESSING, "active service cutover pending"
    if status.stable_rs == "" or status.stable_rs != status.current_pod_hash:
        run = status.post_promotion
        if post_analysis and (run is None or not run.phase.completed):
            return RolloutPhase.PROGRESSING, "waiting for analysis to complete"
        return RolloutPhase.PROGRESSING, "waiting for post-promotion verification to complete"
    return RolloutPhase.HEALTHY, ""
