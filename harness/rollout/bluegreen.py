"""Argo Rollouts' blue-green reconcile as a pure function (`rollout/bluegreen.go` and friends).

`reconcile(rollout, status, replica_sets, runs, now)` is one pass of the Argo controller over a
blue-green Rollout: it reads what exists (ReplicaSets with their pod counts and scale-down
deadlines, the current analysis runs with their phases) and returns the new status and what the
caller must do (create the new ReplicaSet, scale, set deadlines, point the Services, start or
terminate analysis runs), plus the events Argo would record. The steps, in Argo's order:

1. pod template changed: a new ReplicaSet, the preview Service on it at once, status reset;
2. ReplicaSets: stable and new at `replicas`; after an abort the new one goes to 0 once
   `abortScaleDownDelaySeconds` passed; others after `scaleDownDelaySeconds` unless a Service,
   the stable or the current revision still references them (`scaleDownOldReplicaSetsForBlueGreen`);
3. pause (`reconcileBlueGreenPause`): with `autoPromotionEnabled: false`, a `BlueGreenPause`
   once the new pods are available and pre-promotion analysis is Successful;
4. active Service (`reconcileActiveService`): to the new pods once the pause is completed and
   pre-promotion analysis Successful; back to the stable pods on an abort;
5. analyses (`reconcileAnalysisRuns`): Inconclusive pauses (`InconclusiveAnalysis`), Failed or
   Error aborts with "Blue/green pre-promotion analysis phase error/failed: <run message>";
6. full promotion (`shouldFullPromote`): the new revision becomes stable ("Completed blue-green
   update") once the active Service serves it and post-promotion analysis is Successful.

No clock and no I/O: times are plain seconds handed in. The records it reads and returns are in
`records.py`; Argo re-reconciles as soon as a status changes, so callers run `reconcile` again
until it reports no change (`settle.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from harness.analysis.phase import AnalysisPhase
from harness.rollout.pause import PauseContext
from harness.rollout.records import Decision, ReplicaSet, Rollout
from harness.rollout.runs import needs_new_run, run_events, run_name
from harness.rollout.status import (
    ABORTED_MESSAGE,
    ABORTED_REASON,
    COMPLETED_MESSAGE,
    POST_FAILED,
    PRE_FAILED,
    RETRY_MESSAGE,
    PauseReason,
    RolloutStatus,
    RunKind,
    RunStatus,
)

P = AnalysisPhase


def reconcile(
    rollout: Rollout,
    status: RolloutStatus,
    replica_sets: Mapping[str, ReplicaSet],
    runs: Mapping[str, RunStatus],
    now: float,
) -> Decision:
    """One pass of the blue-green controller (see the module docstring for the steps).

    `runs` maps run names to their latest phase (the caller drives the analyses).
    """
    return _Pass(rollout, status, replica_sets, runs, now).run()


class _Pass:
    def __init__(
        self,
        rollout: Rollout,
        status: RolloutStatus,
        rss: Mapping[str, ReplicaSet],
        runs: Mapping[str, RunStatus],
        now: float,
    ) -> None:
        self.ro, self.old, self.now = rollout, status, now
        self.bg = rollout.strategy
        self.rss = dict(rss)
        self.runs = runs
        self.pc = PauseContext(status)
        self.d = Decision(status=status)

    # ---- helpers ---------------------------------------------------------------------------

    @property
    def new(self) -> ReplicaSet:
        return self.rss[self.ro.template_hash]

    @property
    def stable(self) -> ReplicaSet | None:
        return self.rss.get(self.old.stable_rs) if self.old.stable_rs else None

    def saturated(self, rs: ReplicaSet) -> bool:
        """`IsSaturated` and `ReadyForPause`: every desired pod of `rs` is available."""
        return rs.replicas == self.ro.replicas and rs.available >= self.ro.replicas

    def halted(self) -> bool:
        return self.old.pause(PauseReason.INCONCLUSIVE_ANALYSIS) is not None

    def fast_tracked(self) -> bool:
        """`isBlueGreenFastTracked` (fast rollbacks within the delay window are not modelled)."""
        if self.old.promote_full:
            return True
        return self.old.active_selector in ("", self.new.hash)

    def completed_pre(self, run: RunStatus | None) -> bool:
        return self.bg.pre_promotion is None or (run is not None and run.phase is P.SUCCESSFUL)

    def scale(self, rs: ReplicaSet, replicas: int) -> None:
        if rs.replicas != replicas:
            self.d.replicas[rs.hash] = replicas
            self.d.events.append(
                f"Scaled {'up' if replicas > rs.replicas else 'down'} ReplicaSet {self.ro.name}-"
                f"{rs.hash} (revision {rs.revision}) from {rs.replicas} to {replicas}"
            )
            self.rss[rs.hash] = replace(rs, replicas=replicas)

    def deadline(self, rs: ReplicaSet, at: float | None) -> None:
        if rs.scale_down_at != at:
            self.d.scale_down_at[rs.hash] = at
            self.rss[rs.hash] = replace(rs, scale_down_at=at)

    def current_run(self, kind: RunKind) -> RunStatus | None:
        ref = self.old.pre_promotion if kind is RunKind.PRE else self.old.post_promotion
        if ref is None:
            return None
        return self.runs.get(ref.name, ref)

    # ---- the pass --------------------------------------------------------------------------

    def run(self) -> Decision:
        status = self.old
        if self.ro.template_hash not in self.rss:
            revision = max((rs.revision for rs in self.rss.values()), default=0) + 1
            created = ReplicaSet(self.ro.template_hash, revision, 0, 0)
            self.rss[created.hash] = created
            self.d.create = created
            self.d.events.append(
                f"Created ReplicaSet {self.ro.name}-{created.hash} (revision {revision})"
            )
        if status.current_pod_hash != self.ro.template_hash:
            # CheckPodSpecChange: reset, point the preview, and stop here (Argo returns early)
            status = replace(
                status,
                current_pod_hash=self.ro.template_hash,
                revision=self.new.revision,
                pause_conditions=(),
                controller_pause=False,
                abort=False,
                aborted_at=None,
                promote_full=False,
                pre_promotion=None,
                post_promotion=None,
            )
            if status.progress_reason == ABORTED_REASON:
                status = replace(status, progress_reason="", progress_message="")
            if self.bg.preview_service:
                status = replace(status, preview_selector=self.new.hash)
            self.d.status = self._counts(status)
            if self.old.current_pod_hash:
                self.d.events.append(f"Rollout updated to revision {self.new.revision}")
            return self.d

        if self.bg.preview_service and not self.halted():
            status = replace(status, preview_selector=self.new.hash)
        self._replica_sets(status)
        self._pause()
        status = replace(status, active_selector=self._active())
        status = self._analyses(status)
        status = self._promote(status)
        status = self.pc.apply(status, self.now)
        status = self._conditions(status)
        self.d.status = self._counts(status)
        return self.d

    def _replica_sets(self, status: RolloutStatus) -> None:
        stable, new = self.stable, self.new
        if stable is not None and stable is not new:
            self.deadline(stable, None)  # removeScaleDownDeadlines
            self.scale(stable, self.ro.replicas)
        self._new_replica_set(stable)
        if self.halted():
            return  # no scale-down while paused on an inconclusive analysis
        post = self.current_run(RunKind.POST)
        if (
            self.bg.post_promotion is not None
            and self.bg.scale_down_delay_seconds is None
            and not self._skip_post(post)
            and (post is None or post.phase is not P.SUCCESSFUL)
        ):
            return  # old pods wait for post-promotion analysis when no delay is set
        referenced = {
            self.old.stable_rs, self.old.current_pod_hash,
            status.active_selector, status.preview_selector,
        }  # fmt: skip
        others = [rs for rs in self.rss.values() if rs.hash not in (new.hash, self.old.stable_rs)]
        for rs in sorted(others, key=lambda r: -r.revision):
            if rs.hash in referenced or rs.replicas == 0:
                continue
            if rs.scale_down_at is None:
                self.deadline(rs, self.now + self.bg.scale_down_delay)
            elif self.now >= rs.scale_down_at:
                self.scale(rs, 0)
                self.deadline(rs, None)

    def _new_replica_set(self, stable: ReplicaSet | None) -> None:
        new = self.new
        abort_delay = self.bg.abort_scale_down_delay
        if (
            self.pc.aborted()
            and stable is not None
            and stable is not new
            and abort_delay is not None
        ):
            if new.scale_down_at is not None:
                if self.now >= new.scale_down_at:
                    self.scale(new, 0)
                return
            # annotate only once the stable pods can take all the traffic
            if stable.available >= self.ro.replicas:
                self.deadline(new, self.now + abort_delay)
            return
        if not self.pc.aborted():
            self.deadline(new, None)
        self.scale(new, self.ro.replicas)

    def _pause(self) -> None:
        """`reconcileBlueGreenPause`."""
        pc, old = self.pc, self.old
        if old.abort or not self.saturated(self.new) or self.halted():
            return
        if self.fast_tracked() or not self.bg.needs_controller_pause:
            pc.remove.add(PauseReason.BLUE_GREEN_PAUSE)
            return
        if not self.completed_pre(self.current_run(RunKind.PRE)):
            return
        if old.pause(PauseReason.BLUE_GREEN_PAUSE) is not None:
            if pc.completed_blue_green_pause(self.bg, self.now):
                pc.remove.add(PauseReason.BLUE_GREEN_PAUSE)
        elif not old.controller_pause:
            pc.add.append(PauseReason.BLUE_GREEN_PAUSE)

    def _active(self) -> str:
        """`reconcileActiveService`: the pod hash the active Service selects after this pass."""
        old = self.old
        if self.halted() or not self.saturated(self.new):
            return old.active_selector
        target = old.active_selector
        if self.fast_tracked():
            target = self.new.hash
        if self.pc.completed_blue_green_pause(self.bg, self.now) and self.completed_pre(
            self.current_run(RunKind.PRE)
        ):
            target = self.new.hash
        if old.abort:
            target = old.stable_rs
        return target

    def _skip_pre(self, current: RunStatus | None) -> bool:
        h = self.new.hash
        if self.old.stable_rs == h or self.old.active_selector in ("", h):
            return True
        return current is None and not self.saturated(self.new)

    def _skip_post(self, current: RunStatus | None) -> bool:
        h = self.new.hash
        if self.old.stable_rs == h or self.old.active_selector != h:
            return True
        return current is None and not self.saturated(self.new)

    def _analyses(self, status: RolloutStatus) -> RolloutStatus:
        """`reconcileAnalysisRuns` for blue-green."""
        old = self.old
        pre, post = self.current_run(RunKind.PRE), self.current_run(RunKind.POST)
        cancel = (
            old.stable_rs == old.current_pod_hash
            or self.pc.aborted()
            or old.promote_full
            or old.stable_rs == ""
        )
        if cancel:
            self._terminate(pre)
            self._terminate(post)
            return replace(status, pre_promotion=pre, post_promotion=post)
        pre = self._reconcile_run(RunKind.PRE, pre, status)
        self._pause_or_abort(pre, PRE_FAILED)
        post = self._reconcile_run(RunKind.POST, post, status)
        self._pause_or_abort(post, POST_FAILED)
        self.d.events += run_events(old.pre_promotion, pre)
        self.d.events += run_events(old.post_promotion, post)
        return replace(status, pre_promotion=pre, post_promotion=post)

    def _terminate(self, run: RunStatus | None) -> None:
        if run is not None and not run.phase.completed:
            self.d.terminate_runs.append(run.name)

    def _reconcile_run(
        self, kind: RunKind, current: RunStatus | None, status: RolloutStatus
    ) -> RunStatus | None:
        ref = self.bg.pre_promotion if kind is RunKind.PRE else self.bg.post_promotion
        if ref is None:
            self._terminate(current)
            return None
        skip = self._skip_pre(current) if kind is RunKind.PRE else self._skip_post(current)
        if skip:
            self._terminate(current)
            return current
        if self.halted():
            return current
        if not needs_new_run(self.old, current):
            return current
        taken = set(status.used_names) | {r.name for r in self.d.start_runs}
        run = RunStatus(run_name(self.ro.name, self.new.hash, status.revision, kind, taken), kind)
        self.d.start_runs.append(run)
        return run

    def _pause_or_abort(self, run: RunStatus | None, failed: str) -> None:
        """`setPauseOrAbortForBlueGreen`."""
        if run is None:
            return
        if run.phase is P.INCONCLUSIVE:
            self.pc.add.append(PauseReason.INCONCLUSIVE_ANALYSIS)
        elif run.phase in (P.ERROR, P.FAILED):
            self.pc.abort(f"{failed}: {run.message}" if run.message else failed)

    def _promote(self, status: RolloutStatus) -> RolloutStatus:
        """`shouldFullPromote` then `promoteStable`."""
        reason = self._full_promote_reason(status)
        if not reason:
            return status
        self.pc.clear, self.pc.remove_abort = True, True
        status = replace(status, promote_full=False)
        if status.stable_rs != status.current_pod_hash:
            self.d.events.append(
                COMPLETED_MESSAGE.format(
                    revision=status.revision, hash=status.current_pod_hash, reason=reason
                )
            )
            status = replace(status, stable_rs=status.current_pod_hash)
        return status

    def _full_promote_reason(self, status: RolloutStatus) -> str:
        if self.stable is None or status.active_selector == "":
            return "Initial deploy"
        if status.active_selector != status.current_pod_hash:
            return ""
        if self.old.promote_full:
            return "Full promotion requested"
        if self.pc.aborted():
            return ""
        if self.bg.post_promotion is not None:
            post = status.post_promotion
            if post is None or post.phase is not P.SUCCESSFUL:
                return ""
        return "Completed blue-green update"

    def _conditions(self, status: RolloutStatus) -> RolloutStatus:
        """The Progressing condition on abort and retry (`calculateRolloutConditions`)."""
        if status.abort:
            if status.progress_reason != ABORTED_REASON:  # SetRolloutCondition keeps the first
                message = ABORTED_MESSAGE.format(revision=status.revision)
                if self.pc.abort_message:
                    message = f"{message}: {self.pc.abort_message}"
                self.d.events.append(message)
                status = replace(status, progress_reason=ABORTED_REASON, progress_message=message)
        elif status.progress_reason == ABORTED_REASON:
            self.d.events.append(RETRY_MESSAGE)
            status = replace(status, progress_reason="RolloutRetry", progress_message=RETRY_MESSAGE)
        used = set(status.used_names)
        new_names = tuple(r.name for r in self.d.start_runs if r.name not in used)
        return replace(status, used_names=status.used_names + new_names)

    def _counts(self, status: RolloutStatus) -> RolloutStatus:
        new = self.rss[status.current_pod_hash]
        active = self.rss.get(status.active_selector)
        available = (
            active.available
            if active is not None
            else sum(rs.available for rs in self.rss.values())
        )
        return replace(status, updated_replicas=new.replicas, available_replicas=available)
