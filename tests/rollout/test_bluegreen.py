"""Argo's blue-green state machine, pass by pass (semantics.md 1.9 and 6; rollout/bluegreen.go).

A small world holds the ReplicaSets and analysis runs; each step applies what `settle` decided,
the way the local controller does, then pods become available when the test says so.
"""

from __future__ import annotations

from dataclasses import replace

from harness.analysis.phase import AnalysisPhase as A
from harness.rollout import (
    AnalysisRef,
    BlueGreen,
    PauseReason,
    ReplicaSet,
    Rollout,
    RolloutPhase,
    RolloutStatus,
    RunKind,
    RunStatus,
    abort,
    phase,
    promote,
    retry,
    settle,
)

REF = AnalysisRef(("success-rate",), (("service-name", "user-service-preview"),))
SEED = BlueGreen(
    active_service="user-service",
    preview_service="user-service-preview",
    auto_promotion_enabled=False,
    scale_down_delay_seconds=30,
    pre_promotion=REF,
    post_promotion=AnalysisRef(("success-rate",), (("service-name", "user-service"),)),
)


class World:
    def __init__(self, strategy: BlueGreen = SEED, replicas: int = 2) -> None:
        self.strategy, self.replicas = strategy, replicas
        self.status = RolloutStatus()
        self.rss: dict[str, ReplicaSet] = {}
        self.runs: dict[str, RunStatus] = {}
        self.events: list[str] = []
        self.started: list[RunStatus] = []
        self.terminated: list[str] = []
        self.hash = "h1"
        self.now = 1000.0

    def step(self, at: float | None = None) -> None:
        if at is not None:
            self.now = at
        rollout = Rollout("user-service", self.replicas, self.strategy, self.hash)
        for d in settle(rollout, self.status, self.rss, self.runs, self.now):
            if d.create is not None:
                self.rss[d.create.hash] = d.create
            for h, n in d.replicas.items():
                rs = self.rss[h]
                self.rss[h] = replace(rs, replicas=n, available=min(rs.available, n))
            for h, when in d.scale_down_at.items():
                self.rss[h] = replace(self.rss[h], scale_down_at=when)
            for r in d.start_runs:
                self.runs[r.name] = replace(r, phase=A.RUNNING)
                self.started.append(r)
            for name in d.terminate_runs:
                self.terminated.append(name)
                self.runs[name] = replace(self.runs[name], phase=A.SUCCESSFUL)
            self.events += d.events
            self.status = d.status

    def ready(self, h: str) -> None:
        self.rss[h] = replace(self.rss[h], available=self.rss[h].replicas)
        self.step()

    def finish(self, kind: RunKind, result: A, message: str = "") -> None:
        run = next(r for r in reversed(self.started) if r.kind is kind)
        self.runs[run.name] = replace(self.runs[run.name], phase=result, message=message)
        self.step()

    @property
    def phase(self) -> tuple[RolloutPhase, str]:
        post = self.strategy.post_promotion is not None
        return phase(self.status, replicas=self.replicas, post_analysis=post)

    def deploy_v1(self) -> None:
        self.step()
        self.ready("h1")

    def release(self, h: str = "h2") -> None:
        self.hash = h
        self.step()


def test_first_deploy_points_both_services_at_the_only_revision_without_analysis() -> None:
    w = World()
    w.step()
    assert w.rss["h1"].replicas == 2 and w.status.preview_selector == "h1"
    assert w.status.active_selector == "" and w.phase[0] is RolloutPhase.PROGRESSING
    w.ready("h1")
    assert (w.status.active_selector, w.status.stable_rs) == ("h1", "h1")
    assert w.phase == (RolloutPhase.HEALTHY, "") and w.started == []


def test_good_release_previews_analyses_pauses_promotes_and_scales_down_after_the_delay() -> None:
    w = World()
    w.deploy_v1()
    w.release()
    # the new ReplicaSet and, at once, the preview Service on it; active stays on v1
    assert "Created ReplicaSet user-service-h2 (revision 2)" in w.events
    assert (w.status.preview_selector, w.status.active_selector) == ("h2", "h1")
    assert w.rss["h2"].replicas == 2 and w.started == []  # not saturated: no analysis yet
    assert w.phase == (RolloutPhase.PROGRESSING, "active service cutover pending")
    w.ready("h2")
    (pre,) = w.started
    assert pre.kind is RunKind.PRE and pre.name == "user-service-h2-2-pre"
    w.finish(RunKind.PRE, A.SUCCESSFUL)
    assert w.phase == (RolloutPhase.PAUSED, "BlueGreenPause")
    assert w.status.active_selector == "h1" and w.status.controller_pause
    w.status = promote(w.status)
    w.step()
    # promotion switches the active Service at once; post-promotion analysis starts
    assert w.status.active_selector == "h2" and w.status.stable_rs == "h1"
    assert w.started[-1].kind is RunKind.POST
    assert w.phase == (RolloutPhase.PROGRESSING, "waiting for analysis to complete")
    assert w.rss["h1"].replicas == 2  # still the stable revision: kept
    w.finish(RunKind.POST, A.SUCCESSFUL)
    assert w.status.stable_rs == "h2" and w.phase == (RolloutPhase.HEALTHY, "")
    assert "Rollout completed update to revision 2 (h2): Completed blue-green update" in w.events
    assert w.rss["h1"].scale_down_at == w.now + 30 and w.rss["h1"].replicas == 2
    w.step(w.now + 29.9)
    assert w.rss["h1"].replicas == 2
    w.step(w.now + 0.2)
    assert w.rss["h1"].replicas == 0
    assert "Scaled down ReplicaSet user-service-h1 (revision 1) from 2 to 0" in w.events


def test_failed_pre_promotion_aborts_with_argos_message_and_scales_the_preview_down() -> None:
    w = World()
    w.deploy_v1()
    w.release()
    w.ready("h2")
    msg = 'Metric "success-rate" assessed Failed due to failed (2) > failureLimit (1)'
    w.finish(RunKind.PRE, A.FAILED, msg)
    expected = (
        "RolloutAborted: Rollout aborted update to revision 2: Blue/green pre-promotion "
        f"analysis phase error/failed: {msg}"
    )
    assert w.phase == (RolloutPhase.DEGRADED, expected)
    assert w.status.abort and w.status.active_selector == "h1" and w.status.stable_rs == "h1"
    assert w.status.preview_selector == "h2"  # Argo leaves the preview on the aborted revision
    assert w.rss["h2"].scale_down_at == w.now + 30  # abortScaleDownDelaySeconds default
    w.step(w.now + 30)
    assert w.rss["h2"].replicas == 0 and w.rss["h1"].replicas == 2
    assert w.phase[0] is RolloutPhase.DEGRADED  # until a retry or a new version
    # the active Service never pointed at v2
    assert all("h2" not in e or "Service" not in e for e in w.events)


def test_error_aborts_like_failed() -> None:
    w = World()
    w.deploy_v1()
    w.release()
    w.ready("h2")
    w.finish(RunKind.PRE, A.ERROR)
    assert w.phase == (
        RolloutPhase.DEGRADED,
        "RolloutAborted: Rollout aborted update to revision 2: "
        "Blue/green pre-promotion analysis phase error/failed",
    )


def test_inconclusive_pauses_for_a_person_and_promote_runs_a_new_analysis() -> None:
    w = World()
    w.deploy_v1()
    w.release()
    w.ready("h2")
    w.finish(RunKind.PRE, A.INCONCLUSIVE)
    assert w.phase == (RolloutPhase.PAUSED, "InconclusiveAnalysis")
    assert w.status.pause(PauseReason.INCONCLUSIVE_ANALYSIS) is not None
    w.step(w.now + 100)
    assert w.status.active_selector == "h1" and len(w.started) == 1  # waits, whatever the time
    w.status = promote(w.status)
    w.step()
    assert [r.name for r in w.started] == ["user-service-h2-2-pre", "user-service-h2-2-pre.2"]
    w.finish(RunKind.PRE, A.SUCCESSFUL)
    # the person already resumed: no second BlueGreenPause, the active Service switches
    assert w.status.active_selector == "h2" and w.phase[0] is RolloutPhase.PROGRESSING


def test_failed_post_promotion_switches_the_active_service_back_and_keeps_v1_stable() -> None:
    w = World()
    w.deploy_v1()
    w.release()
    w.ready("h2")
    w.finish(RunKind.PRE, A.SUCCESSFUL)
    w.status = promote(w.status)
    w.step()
    assert w.status.active_selector == "h2"
    w.finish(RunKind.POST, A.FAILED, "boom")
    assert w.status.active_selector == "h1" and w.status.stable_rs == "h1"
    assert w.phase[1].endswith("Blue/green post-promotion analysis phase error/failed: boom")
    assert w.rss["h1"].replicas == 2


def test_retry_after_abort_starts_a_new_pre_promotion_run() -> None:
    w = World()
    w.deploy_v1()
    w.release()
    w.ready("h2")
    w.finish(RunKind.PRE, A.FAILED, "bad")
    w.status = retry(w.status)
    w.step()
    assert not w.status.abort and w.status.aborted_at is None
    assert "Retrying Rollout after abort" in w.events
    assert w.started[-1].name == "user-service-h2-2-pre.2"
    assert w.phase == (RolloutPhase.PROGRESSING, "active service cutover pending")


def test_manual_abort_while_paused_keeps_v1_active_with_the_plain_message() -> None:
    w = World()
    w.deploy_v1()
    w.release()
    w.ready("h2")
    w.finish(RunKind.PRE, A.SUCCESSFUL)
    w.status = abort(w.status)
    w.step()
    assert w.phase == (
        RolloutPhase.DEGRADED,
        "RolloutAborted: Rollout aborted update to revision 2",
    )
    assert w.status.active_selector == "h1"


def test_abort_while_pre_promotion_runs_terminates_the_run() -> None:
    w = World()
    w.deploy_v1()
    w.release()
    w.ready("h2")
    w.status = abort(w.status)
    w.step()
    assert w.terminated == ["user-service-h2-2-pre"]


def test_auto_promotion_switches_without_a_pause() -> None:
    w = World(replace(SEED, auto_promotion_enabled=True, post_promotion=None))
    w.deploy_v1()
    w.release()
    w.ready("h2")
    w.finish(RunKind.PRE, A.SUCCESSFUL)
    assert w.status.active_selector == "h2" and w.status.stable_rs == "h2"
    assert w.phase == (RolloutPhase.HEALTHY, "")


def test_auto_promotion_seconds_pauses_then_promotes_on_time() -> None:
    w = World(replace(SEED, auto_promotion_enabled=True, auto_promotion_seconds=20))
    w.deploy_v1()
    w.release()
    w.ready("h2")
    w.finish(RunKind.PRE, A.SUCCESSFUL)
    assert w.phase == (RolloutPhase.PAUSED, "BlueGreenPause")
    w.step(w.now + 20)
    assert w.status.active_selector == "h1"  # strictly after the deadline
    w.step(w.now + 0.5)
    assert w.status.active_selector == "h2"


def test_without_a_delay_old_pods_wait_for_post_promotion_success() -> None:
    w = World(replace(SEED, scale_down_delay_seconds=None))
    w.deploy_v1()
    w.release()
    w.ready("h2")
    w.finish(RunKind.PRE, A.SUCCESSFUL)
    w.status = promote(w.status)
    w.step()
    w.finish(RunKind.POST, A.SUCCESSFUL)
    assert w.rss["h1"].scale_down_at == w.now + 30  # the default delay, once promoted


def test_new_version_during_an_abort_starts_a_fresh_update() -> None:
    w = World()
    w.deploy_v1()
    w.release()
    w.ready("h2")
    w.finish(RunKind.PRE, A.FAILED, "bad")
    w.release("h3")
    assert not w.status.abort and w.status.revision == 3
    assert w.status.preview_selector == "h3" and w.phase[0] is RolloutPhase.PROGRESSING
    w.ready("h3")
    assert w.started[-1].name == "user-service-h3-3-pre"


def test_analysis_run_events_carry_argos_wording() -> None:
    w = World()
    w.deploy_v1()
    w.release()
    w.ready("h2")
    w.finish(RunKind.PRE, A.SUCCESSFUL)
    started = "PrePromotion Analysis Run 'user-service-h2-2-pre' Status New: 'Pending' "
    assert started + "Previous: 'NoPreviousStatus'" in w.events
    done = "PrePromotion Analysis Run 'user-service-h2-2-pre' Status New: 'Successful' Previous: "
    assert any(e.startswith(done) for e in w.events)
