"""What became of the revision a run rolled out, read from the Rollout's own events (pure).

The documents have the shape the local admin API returns (`harness rollout status --json`):
Argo's event wording, revisions with their pods, analysis runs with measurements.
"""

from __future__ import annotations

from typing import Any

from harness.run.rollouts import record_of
from harness.scenario.model import RolloutExpectation

T = 1_000.0
NEW, OLD = "bdjr8gqbsj", "2r9nnrlw5v"


def doc(
    *messages: str, revisions: list[dict[str, Any]] | None = None, runs: Any = ()
) -> dict[str, Any]:
    events = [{"time": T - 50, "message": f"Created ReplicaSet user-service-{OLD} (revision 1)"}]
    events += [{"time": T + i, "message": m} for i, m in enumerate(messages)]
    return {
        "name": "user-service",
        "namespace": "default",
        "phase": "Healthy",
        "message": "",
        "activeService": "user-service",
        "events": events,
        "revisions": revisions
        or [
            {"revision": 1, "podTemplateHash": OLD, "replicas": 2, "ready": 2, "stable": True},
            {"revision": 2, "podTemplateHash": NEW, "replicas": 0, "ready": 0},
        ],
        "analysisRuns": list(runs),
    }


def run(kind: str, phase: str, values: list[str]) -> dict[str, Any]:
    infix = "pre" if kind == "PrePromotion" else "post"
    return {
        "name": f"user-service-{NEW}-2-{infix}",
        "kind": kind,
        "template": "success-rate",
        "phase": phase,
        "message": "",
        "metrics": [
            {
                "name": "success-rate",
                "phase": phase,
                "measurements": [{"time": T, "value": v, "phase": phase} for v in values],
            }
        ],
    }


def expect(outcome: str) -> RolloutExpectation:
    return RolloutExpectation(name="user-service", outcome=outcome)  # type: ignore[arg-type]


CREATED = f"Created ReplicaSet user-service-{NEW} (revision 2)"
ABORTED = (
    "Rollout aborted update to revision 2: Blue/green pre-promotion analysis phase "
    'error/failed: Metric "success-rate" assessed Failed due to failed (2) > failureLimit (1)'
)


def test_an_abort_before_the_active_service_moved_is_aborted():
    d = doc(CREATED, ABORTED, runs=[run("PrePromotion", "Failed", ["[1]", "[0.86]", "[0.73]"])])
    r = record_of(d, expect("aborted"), since=T - 1)
    assert (r.outcome, r.revision, r.expected) == ("aborted", 2, "aborted")
    assert "pre-promotion analysis (Failed)" in r.detail and "never selected it" in r.detail
    assert [e.message for e in r.events] == [CREATED, ABORTED]  # only the run's own events
    [pre] = r.analysis_runs
    assert [m.value for m in pre.metrics[0].measurements] == ["[1]", "[0.86]", "[0.73]"]


def test_an_abort_after_the_active_service_selected_the_revision_is_a_rollback():
    switched = f"Service user-service selects rollouts-pod-template-hash={NEW}"
    post_failed = ABORTED.replace("pre-promotion", "post-promotion")
    r = record_of(doc(CREATED, switched, post_failed), expect("aborted"), since=T - 1)
    assert r.outcome == "rolled-back" and "callers met it" in r.detail


def test_promoted_needs_post_promotion_success_and_the_old_pods_gone():
    completed = f"Rollout completed update to revision 2 ({NEW}): Completed blue-green update"
    runs = [run("PrePromotion", "Successful", ["[1]"]), run("PostPromotion", "Successful", ["[1]"])]
    up = [
        {"revision": 1, "podTemplateHash": OLD, "replicas": 2, "ready": 2},
        {"revision": 2, "podTemplateHash": NEW, "replicas": 2, "ready": 2, "stable": True},
    ]
    waiting = record_of(doc(CREATED, completed, revisions=up, runs=runs), expect("promoted"), T - 1)
    assert waiting.outcome == "in-progress" and "revision 1: 2 ready" in waiting.detail
    gone = [{**up[0], "replicas": 0, "ready": 0}, up[1]]
    done = record_of(doc(CREATED, completed, revisions=gone, runs=runs), expect("promoted"), T - 1)
    assert done.outcome == "promoted"
    assert "pre-promotion Successful, post-promotion Successful" in done.detail


def test_no_new_revision_in_the_run_and_a_paused_one_are_named():
    assert record_of(doc(), expect("aborted"), since=T - 1).outcome == "none"
    paused = doc(CREATED)
    paused["phase"], paused["message"] = "Paused", "BlueGreenPause"
    r = record_of(paused, expect("promoted"), since=T - 1)
    assert r.outcome == "in-progress" and r.detail.endswith("Paused BlueGreenPause")


def test_revision_twenty_is_not_revision_two():
    other = ABORTED.replace("revision 2:", "revision 20:")
    assert record_of(doc(CREATED, other), expect("aborted"), since=T - 1).outcome == "in-progress"
