"""The release scenarios end to end on the local target: a real stack of the sample system,
user-service's blue-green Rollout driven by the experiment, its analyses live on the real
Prometheus, the verdict checking `expect: {rollout: ...}`.

Each test gets a fresh stack: the preview's success rate is measured over the last minute by
Service name, so a bad release just before would count against the next one (docs/rollouts.md).
Analysis intervals are scaled by 0.1 (HARNESS_ROLLOUT_ANALYSIS_SCALE), as the scenarios advise.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.conftest import Stack, sample_stack
from tests.run.test_run import Run, active_faults, report_of

pytestmark = [pytest.mark.integration]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with sample_stack(tmp_path / "state", env={"HARNESS_ROLLOUT_ANALYSIS_SCALE": "0.1"}) as s:
        yield s


def _verdicts(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(v["slo"], v["phase"]): v["verdict"] for v in report["verdicts"]}


def test_a_bad_release_is_aborted_before_any_customer_meets_it(stack: Stack, tmp_path: Path):
    out = tmp_path / "reports"
    run = Run(["release-bad-v2", "--out", str(out)], stack.state)
    assert run.finish(timeout=240) == 0, run.output
    report = report_of(out)
    assert report["verdict"] == "passed" and report["reasons"] == []
    verdicts = _verdicts(report)
    for phase in ("baseline", "fault", "recovery"):  # the active side held, and never saw v2
        assert verdicts[("active-user-service-availability", phase)] == "passed"
        assert verdicts[("active-user-service-never-serves-v2", phase)] == "passed"
    [rollout] = report["rollouts"]
    assert (rollout["name"], rollout["expected"], rollout["outcome"]) == (
        "user-service", "aborted", "aborted",
    )  # fmt: skip
    assert "the active Service user-service never selected it" in rollout["detail"]
    [pre] = rollout["analysis_runs"]
    assert (pre["kind"], pre["phase"]) == ("PrePromotion", "Failed")
    success = next(m for m in pre["metrics"] if m["name"] == "success-rate")
    failed = [x for x in success["measurements"] if x["phase"] == "Failed"]
    assert len(failed) == 2 and all(float(x["value"].strip("[]")) < 0.95 for x in failed)
    events = [e["message"] for e in rollout["events"]]
    assert any(m.startswith("Rollout aborted update to revision 2: Blue/green pre-promotion")
               for m in events)  # fmt: skip
    summary = (out / "latest" / "summary.md").read_text(encoding="utf-8")
    assert "Rollout user-service: aborted, expected aborted." in summary
    assert "| user-service-" in summary and "-2-pre | Failed | success-rate Failed:" in summary
    assert "<h2>Rollout</h2>" in (out / "latest" / "report.html").read_text(encoding="utf-8")
    assert active_faults(stack.state) == []
    # the rollback put the manifest's template back: Healthy on revision 1 again
    with stack.client() as client:
        after = client.rollout("user-service")
    assert (
        after["phase"] == "Healthy"
        and after["status"]["currentPodHash"] == (after["status"]["stableRS"])
    )


def test_a_good_release_is_promoted_and_the_old_pods_go(stack: Stack, tmp_path: Path):
    out = tmp_path / "reports"
    run = Run(["release-good-v2", "--out", str(out)], stack.state)
    assert run.finish(timeout=300) == 0, run.output
    report = report_of(out)
    assert report["verdict"] == "passed" and report["reasons"] == []
    [rollout] = report["rollouts"]
    assert (rollout["outcome"], rollout["revision"]) == ("promoted", 2), rollout["detail"]
    kinds = {a["kind"]: a["phase"] for a in rollout["analysis_runs"]}
    assert kinds == {"PrePromotion": "Successful", "PostPromotion": "Successful"}
    revisions = {r["revision"]: r for r in rollout["revisions"]}
    # the HPA owns the Rollout's replicas (minReplicas 3, more under the release's load)
    assert revisions[2]["stable"] and revisions[2]["active"] and revisions[2]["ready"] >= 3
    assert (revisions[1]["replicas"], revisions[1]["ready"]) == (0, 0)  # gone after the delay
    events = [(e["time"], e["message"]) for e in rollout["events"]]
    done = next(t for t, m in events if "Completed blue-green update" in m)
    gone = next(
        t for t, m in events if m.startswith("Scaled down ReplicaSet") and "(revision 1)" in m
    )
    assert 30 <= gone - done < 40  # scaleDownDelaySeconds: 30, never scaled
    assert all(v["verdict"] == "passed" for v in report["verdicts"]), report["verdicts"]


def test_a_release_that_does_not_do_what_the_scenario_expects_fails_with_the_reason(
    stack: Stack, tmp_path: Path
):
    """release-bad-v2's release, but expected to be promoted: exit 1, the reason says why."""
    root = Path(__file__).resolve().parents[2]
    doc = yaml.safe_load((root / "experiments" / "release-bad-v2.yaml").read_text())
    ext = next(e for e in doc["extensions"] if e["name"] == "harness")
    ext["expect"] = {"rollout": {"name": "user-service", "outcome": "promoted"}}
    path = tmp_path / "expects-promotion.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    out = tmp_path / "reports"
    run = Run([str(path), "--out", str(out)], stack.state)
    assert run.finish(timeout=240) == 1, run.output
    report = report_of(out)
    assert report["verdict"] == "failed"
    [reason] = report["reasons"]
    assert reason.startswith("rollout user-service: expected promoted, got aborted: revision 2")
