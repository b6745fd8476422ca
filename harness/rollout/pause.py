"""`pauseContext` (`rollout/pause.go`): pause and abort changes gathered during one pass.

Argo decides pauses and aborts all through a pass and applies them once at its end
(`CalculatePauseStatus`); later steps read the pending changes through `aborted()` and
`completed_blue_green_pause()`. The user's actions are the kubectl plugin's status patches.
"""

from __future__ import annotations

from dataclasses import replace

from harness.rollout.spec import BlueGreen
from harness.rollout.status import PauseCondition, PauseReason, RolloutStatus


def promote(status: RolloutStatus, *, full: bool = False) -> RolloutStatus:
    """`kubectl argo rollouts promote [--full]`: clear the pause conditions, or promote fully."""
    if full:
        if status.current_pod_hash != status.stable_rs:
            return replace(status, promote_full=True)
        return status
    return replace(status, pause_conditions=())


def abort(status: RolloutStatus) -> RolloutStatus:
    """`kubectl argo rollouts abort`: `{"status":{"abort":true}}`."""
    return replace(status, abort=True)


def retry(status: RolloutStatus) -> RolloutStatus:
    """`kubectl argo rollouts retry rollout`: `{"status":{"abort":false}}` (abortedAt stays
    until the controller's next pass, which is how it knows to start new analysis runs)."""
    return replace(status, abort=False)


class PauseContext:
    """`pauseContext`: pause and abort changes gathered during a pass, applied at its end."""

    def __init__(self, status: RolloutStatus) -> None:
        self.status = status
        self.add: list[PauseReason] = []
        self.remove: set[PauseReason] = set()
        self.clear = False
        self.add_abort = False
        self.remove_abort = False
        self.abort_message = ""

    def aborted(self) -> bool:
        if self.remove_abort:
            return False
        return self.add_abort or self.status.abort

    def abort(self, message: str) -> None:
        self.add_abort, self.abort_message = True, message

    def completed_blue_green_pause(self, strategy: BlueGreen, now: float) -> bool:
        cond = self.status.pause(PauseReason.BLUE_GREEN_PAUSE)
        if self.add:
            return False
        if strategy.auto_promotion_enabled:
            if strategy.auto_promotion_seconds == 0:
                return True
            if cond is not None:
                return now > cond.start + strategy.auto_promotion_seconds
            return False
        # promotion disabled: only a person (`promote`) completes the pause
        return self.status.controller_pause and cond is None

    def apply(self, status: RolloutStatus, now: float) -> RolloutStatus:
        """`CalculatePauseStatus`."""
        if self.add_abort or (not self.remove_abort and self.status.abort):
            aborted_at = self.status.aborted_at if self.status.aborted_at is not None else now
            return replace(status, abort=True, aborted_at=aborted_at)
        status = replace(status, abort=False, aborted_at=None)
        if self.clear:
            return replace(status, pause_conditions=(), controller_pause=False)
        controller_pause = self.status.controller_pause
        kept = [c for c in self.status.pause_conditions if c.reason not in self.remove]
        present = {c.reason for c in self.status.pause_conditions}
        for reason in self.add:
            if reason not in present:
                kept.append(PauseCondition(reason, now))
                present.add(reason)
                controller_pause = True
        if not kept:
            # Argo leaves controllerPause as it was once no pause condition is left: that is
            # how it tells "a person promoted" from "never paused" (CompletedBlueGreenPause)
            return replace(status, pause_conditions=())
        return replace(status, pause_conditions=tuple(kept), controller_pause=controller_pause)
