"""junit.xml: one test case per SLO and per analysis metric, for CI test-report views.

Mapping: failed → <failure>; inconclusive, Error, Inconclusive → <error> (could not judge is
not a pass and must not look like a skip); a failed verdict the gate policy does not fail on,
and dry-run metrics, → <skipped> with the reason. One more case (classname `chaos`) for the
experiment's steady-state hypothesis when it has one, or when the experiment did not run as written.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from harness.report.hypothesis import chaos_findings
from harness.report.model import Report
from harness.report.text import num
from harness.slo.model import Verdict

_RANK = {Verdict.PASSED: 0, Verdict.INCONCLUSIVE: 1, Verdict.FAILED: 2}


def render_junit(report: Report) -> str:
    policy = report.scenario.harness.gate.fail_on
    suites = ET.Element("testsuites", name=f"harness {report.scenario.name}")
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"harness.{report.scenario.name}",
        timestamp=datetime.fromtimestamp(report.created, UTC).strftime("%Y-%m-%dT%H:%M:%S"),
    )

    def case(classname: str, name: str, kind: str | None, message: str, detail: str) -> None:
        counts["tests"] += 1
        el = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")
        if kind is not None:
            counts[{"failure": "failures", "error": "errors", "skipped": "skipped"}[kind]] += 1
            ET.SubElement(el, kind, message=message[:500]).text = detail
        ET.SubElement(el, "system-out").text = detail

    kind: str | None
    for slo in report.scenario.harness.slos:
        mine = [v for v in report.verdicts if v.slo == slo.name]
        detail = (
            "\n".join(
                f"{v.phase.value}: {v.verdict.value}: {v.reason}\n  query: {v.query}" for v in mine
            )
            or "not judged in any phase of this run"
        )
        if not mine:
            case("slo", slo.name, "error", "not judged: no window", detail)
            continue
        worst = max(mine, key=lambda v: _RANK[v.verdict])
        msg = f"{worst.phase.value}: {worst.reason}"
        if worst.verdict is Verdict.PASSED:
            kind = None
        elif worst.verdict.value in policy.slo:
            kind = "failure"
        elif worst.verdict is Verdict.FAILED:
            kind, msg = "skipped", f"informational (gate does not fail on it): {msg}"
        else:
            kind = "error"
        case("slo", f"{slo.name} {num(worst.value, worst.unit)}", kind, msg, detail)
    for run in report.analyses:
        for metric in run.metrics:
            detail = "\n".join(f"{m.time}: {m.value} -> {m.phase}" for m in metric.measurements)
            msg = f"{metric.phase}: {metric.message}".rstrip(": ")
            if metric.dry_run and metric.phase != "Successful":
                kind = "skipped"
                msg = f"dry-run: {msg}"
            elif metric.phase == "Successful":
                kind = None
            elif metric.phase == "Failed" and "Failed" in policy.analysis:
                kind = "failure"
            elif metric.phase == "Failed":
                kind, msg = "skipped", f"informational (gate does not fail on it): {msg}"
            else:
                kind = "failure" if metric.phase in policy.analysis else "error"
            case(f"analysis.{run.template}", metric.name, kind, msg, detail)
    chaos = report.chaos
    found = chaos_findings(chaos)
    if chaos is not None and (chaos.steady_states or found.failed or found.unjudged):
        detail = (
            "\n".join(
                f"{c.when} the method: {'met' if c.met else 'not met'}"
                + "".join(
                    f"\n  {p.name}: {p.status or '?'}, value {p.value or '-'}, tolerance "
                    + {True: "met", False: "not met", None: "not checked"}[p.tolerance_met]
                    + (f", error {p.error}" if p.error else "")
                    for p in c.probes
                )
                for c in chaos.steady_states
            )
            or chaos.reason
        )
        if found.unjudged:
            kind, msg = "error", found.unjudged[0]
        elif found.failed and policy.hypothesis:
            kind, msg = "failure", found.failed[0]
        elif found.failed:
            kind, msg = "skipped", f"informational (gate does not fail on it): {found.failed[0]}"
        else:
            kind, msg = None, ""
        case("chaos", "steady-state hypothesis", kind, msg, detail)
    for key, value in counts.items():
        suite.set(key, str(value))
        suites.set(key, str(value))
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
