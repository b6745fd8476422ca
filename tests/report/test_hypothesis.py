"""The experiment's steady-state hypothesis counts in the run's verdict (journal → exit code).

Journals here have the shape chaoslib writes (`steady_states.before/after.probes[]`) plus the
`harness` section the chaos runner adds; the end-to-end case is in tests/run/test_run.py.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from harness.report import rejudge, summarize_journal
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown
from harness.report.model import Report
from tests.report.synthetic import synthetic_report


def probe(name: str, *, met: bool | None, output: Any = 200, error: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {
        "activity": {"type": "probe", "name": name},
        "status": "failed" if error else "succeeded",
        "output": None if error else output,
    }
    if error:
        entry["exception"] = ["Traceback ...", f"chaoslib.exceptions.ActivityFailed: {error}\n"]
    else:
        entry["tolerance_met"] = met
    return entry


def journal(
    ending: str,
    reason: str,
    before: list[dict[str, Any]] | None = None,
    after: list[dict[str, Any]] | None = None,
    run_status: str = "succeeded",
) -> dict[str, Any]:
    def check(probes: list[dict[str, Any]]) -> dict[str, Any]:
        met = all(p.get("tolerance_met") is True for p in probes)
        return {"steady_state_met": met, "probes": probes}

    return {
        "experiment": {"title": "t"},
        "status": "completed" if ending == "held" else "failed",
        "deviated": ending == "deviated",
        "steady_states": {
            "before": check(before) if before is not None else None,
            "after": check(after) if after is not None else None,
            "during": [],
        },
        "run": [
            {
                "activity": {"type": "action", "name": "abort-payment"},
                "status": run_status,
                "exception": ["ActivityFailed: no mesh\n"] if run_status == "failed" else None,
            }
        ],
        "rollbacks": [],
        "harness": {"ending": ending, "exit_code": 0, "reason": reason},
    }


def judged(tmp: Path, doc: dict[str, Any], **overrides: Any) -> Report:
    base = synthetic_report(tmp, scenario_overrides=overrides or None)
    assert base.exit_code == 0
    return rejudge(base.model_copy(update={"chaos": summarize_journal(doc)}))


OK = probe("gateway-serves-orders", met=True)


def test_a_hypothesis_that_deviates_after_the_method_fails_the_run(tmp_path: Path) -> None:
    doc = journal(
        "deviated",
        "steady state deviated after the method (probe gateway-serves-orders)",
        before=[OK],
        after=[probe("gateway-serves-orders", met=False, output=503)],
    )
    report = judged(tmp_path, doc)
    assert (report.verdict.value, report.exit_code) == ("failed", 1)
    assert report.reasons[0] == (
        "chaos: steady state deviated after the method: probe 'gateway-serves-orders' "
        "returned 503, outside its tolerance"
    )
    assert "steady state deviated after the method" in render_markdown(report)
    case = ET.fromstring(render_junit(report)).find(".//testcase[@classname='chaos']")
    assert case is not None and case.find("failure") is not None


def test_a_hypothesis_not_met_before_the_method_fails_the_run(tmp_path: Path) -> None:
    doc = journal(
        "failed",
        "steady state not met before the method (probe gateway-serves-orders)",
        before=[probe("gateway-serves-orders", met=False, output=502)],
    )
    report = judged(tmp_path, doc)
    assert report.exit_code == 1
    assert report.reasons[0].startswith("chaos: steady state not met before the method")


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_probe_that_could_not_run_is_could_not_judge(tmp_path: Path, when: str) -> None:
    broken = probe("order-error-ratio", met=None, error="Prometheus is unreachable")
    doc = (
        journal("invalid", "steady-state probe 'order-error-ratio' could not run", [broken])
        if when == "before"
        else journal("deviated", "steady state deviated", before=[OK], after=[OK, broken])
    )
    report = judged(tmp_path, doc)
    assert (report.verdict.value, report.exit_code) == ("inconclusive", 3)
    assert any("order-error-ratio" in r and "could not run" in r for r in report.reasons)
    if when == "after":
        assert "Prometheus is unreachable" in report.reasons[0]
    case = ET.fromstring(render_junit(report)).find(".//testcase[@classname='chaos']")
    assert case is not None and case.find("error") is not None


def test_a_failed_method_activity_is_could_not_judge(tmp_path: Path) -> None:
    doc = journal(
        "failed", "activity 'abort-payment' failed: no mesh", before=[OK], run_status="failed"
    )
    report = judged(tmp_path, doc)
    assert report.exit_code == 3
    assert report.reasons == (
        "chaos: the method did not run as written: activity 'abort-payment' failed: no mesh",
    )


def test_a_held_hypothesis_changes_nothing(tmp_path: Path) -> None:
    doc = journal("held", "steady state held", before=[OK], after=[OK])
    report = judged(tmp_path, doc)
    assert report.exit_code == 0 and report.reasons == ()
    assert report.chaos is not None and [s.when for s in report.chaos.steady_states] == [
        "before",
        "after",
    ]


def test_the_gate_can_make_the_hypothesis_informational(tmp_path: Path) -> None:
    doc = journal(
        "deviated",
        "steady state deviated",
        before=[OK],
        after=[probe("gateway-serves-orders", met=False, output=503)],
    )
    report = judged(tmp_path, doc, gate={"fail_on": {"hypothesis": False}})
    assert report.exit_code == 0
    case = ET.fromstring(render_junit(report)).find(".//testcase[@classname='chaos']")
    assert case is not None and case.find("skipped") is not None


def test_a_kubernetes_health_probe_that_raises_means_not_met(tmp_path: Path) -> None:
    """chaosk8s' deployment_available_and_healthy answers "not healthy" by raising; Chaos Toolkit
    counts that as a missed tolerance, and so does the verdict (not "could not run")."""
    unhealthy = probe(
        "inventory-healthy",
        met=None,
        error="harness.errors.CouldNotRun: deployment 'inventory-service' is not healthy: 0/2",
    )
    unhealthy["activity"]["provider"] = {
        "type": "python",
        "module": "harness.chaos.local.pods",  # the local target's chaosk8s.deployment.probes
        "func": "deployment_available_and_healthy",
    }
    unhealthy["tolerance_met"] = False  # chaoslib's own mark on a probe that raised
    doc = journal("deviated", "steady state deviated", before=[OK], after=[unhealthy])
    report = judged(tmp_path, doc)
    assert report.exit_code == 1
    assert report.reasons == (
        "chaos: steady state deviated after the method: probe 'inventory-healthy' said no: "
        "deployment 'inventory-service' is not healthy: 0/2",
    )
