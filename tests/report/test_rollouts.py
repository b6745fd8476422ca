"""`expect: {rollout: ...}` in the verdict, and the Rollout section of the report (pure).

The end-to-end runs are in tests/run/test_release_runs.py.
"""

from __future__ import annotations

from pathlib import Path

from harness.report import rejudge
from harness.report.markdown import render_markdown
from harness.report.model import Report
from harness.report.rollouts import (
    RolloutAnalysisRun,
    RolloutEvent,
    RolloutMeasurement,
    RolloutMetric,
    RolloutRecord,
)
from tests.report.synthetic import T0, synthetic_report

ABORT = "Rollout aborted update to revision 2: Blue/green pre-promotion analysis phase error/failed"


def record(outcome: str, detail: str = "because") -> RolloutRecord:
    return RolloutRecord(
        name="user-service",
        expected="aborted",
        outcome=outcome,
        detail=detail,
        revision=2,
        events=(RolloutEvent(time=T0 + 27.5, message=ABORT),),
        analysis_runs=(
            RolloutAnalysisRun(
                name="user-service-h-2-pre",
                kind="PrePromotion",
                template="success-rate",
                phase="Failed",
                metrics=(
                    RolloutMetric(
                        name="success-rate",
                        phase="Failed",
                        measurements=(
                            RolloutMeasurement(time=T0 + 27, value="[0.86]", phase="Failed"),
                        ),
                    ),
                ),
            ),
        ),
    )


def judged(tmp: Path, outcome: str | None, *records: RolloutRecord) -> Report:
    overrides = {"expect": {"rollout": {"name": "user-service", "outcome": outcome}}}
    base = synthetic_report(tmp, scenario_overrides=overrides if outcome else None)
    return rejudge(base.model_copy(update={"rollouts": records}))


def test_the_expected_outcome_passes_and_another_fails_with_the_reason(tmp_path: Path):
    assert judged(tmp_path / "a", "aborted", record("aborted")).exit_code == 0
    failed = judged(tmp_path / "b", "promoted", record("aborted", "revision 2 was aborted"))
    assert (failed.verdict.value, failed.exit_code) == ("failed", 1)
    assert "rollout user-service: expected promoted, got aborted: revision 2 was aborted" in (
        failed.reasons
    )


def test_a_rollout_that_could_not_be_read_is_could_not_judge(tmp_path: Path):
    unread = judged(tmp_path / "a", "aborted", record("unknown", "admin API down"))
    assert unread.exit_code == 3
    assert any("could not tell: admin API down" in r for r in unread.reasons)
    missing = judged(tmp_path / "b", "aborted")
    assert missing.exit_code == 3 and any("not observed" in r for r in missing.reasons)


def test_no_expectation_leaves_the_verdict_alone(tmp_path: Path):
    assert judged(tmp_path, None, record("promoted")).exit_code == 0


def test_the_summary_shows_the_timeline_and_the_measurements(tmp_path: Path):
    text = render_markdown(judged(tmp_path, "aborted", record("aborted", "no customer met it")))
    assert "Rollout user-service: aborted, expected aborted. no customer met it" in text
    assert f"| +27.5s | {ABORT} |" in text  # relative to the first window (warm-up at T0)
    assert "| user-service-h-2-pre | Failed | success-rate Failed: [0.86] Failed |" in text
