"""summary.md: the verdict at a glance, short enough for a CI job summary."""

from __future__ import annotations

from harness.report.comparison import markdown_section
from harness.report.load_table import HEADER, load_rows
from harness.report.model import Report
from harness.report.rollouts import markdown_lines
from harness.report.text import MARK, PHASE_COLUMNS, RUN_MARK, budget, grid, num, secs
from harness.slo.judge import argo_action


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    sc = report.scenario
    lines = [
        f"## {RUN_MARK[report.verdict]} {report.verdict.value}: {_cell(sc.title)}",
        "",
        f"Scenario `{sc.name}` on `{report.target}`, run `{report.run_id}`, "
        f"exit code {report.exit_code}.",
        "",
    ]
    if report.reasons:
        lines += [f"- {_cell(r)}" for r in report.reasons[:20]]
        if len(report.reasons) > 20:
            lines.append(f"- … and {len(report.reasons) - 20} more (see report.json)")
        lines.append("")
    lines += [
        "### SLOs",
        "",
        "| SLO | objective | " + " | ".join(p.value for p in PHASE_COLUMNS) + " |",
        "|---|---|" + "---|" * len(PHASE_COLUMNS),
    ]
    for name, objective, cells in grid(report):
        row = []
        for phase in PHASE_COLUMNS:
            v = cells.get(phase)
            row.append("·" if v is None else f"{MARK[v.verdict]} {num(v.value, v.unit)}")
        lines.append(f"| {_cell(name)} | {_cell(objective)} | " + " | ".join(row) + " |")
    if report.expectations:
        lines += ["", "### Expectations", "", "| expectation | met | why |", "|---|---|---|"]
        for e in report.expectations:
            met = "yes" if e.met else "**no**"
            lines.append(f"| {_cell(e.name)} | {met} | {_cell(e.reason)} |")
    figures = report.resilience.figures
    if figures:
        lines += [
            "",
            "### Resilience",
            "",
            "| SLO | time to detect | time to recover | error budget spent | moved |",
            "|---|---|---|---|---|",
        ]
        for f in figures:
            recover = secs(f.time_to_recover) if f.recovered is not False else "not recovered"
            lines.append(
                f"| {_cell(f.slo)} | {secs(f.time_to_detect)} | {recover} | "
                f"{budget(f.error_budget_spent)} | {'yes' if f.moved else 'no'} |"
            )
        radius = ", ".join(report.resilience.blast_radius.services) or "none"
        lines += ["", f"Blast radius (services whose SLOs moved under the fault): {radius}"]
    lines += markdown_section(report)
    if report.analyses:
        lines += [
            "",
            "### Argo analyses",
            "",
            "| template | mode | phase | rollout | metrics |",
            "|---|---|---|---|---|",
        ]
        for a in report.analyses:
            metrics = ", ".join(f"{m.name}: {m.phase}" for m in a.metrics) or "-"
            lines.append(
                f"| {_cell(a.template)} | {a.mode} | {a.phase} | {argo_action(a.phase)} | "
                f"{_cell(metrics)} |"
            )
    t0 = min((p.start for p in report.phases), default=report.created)
    lines += markdown_lines(report.rollouts, t0)
    rows = load_rows(report)
    if rows:
        lines += ["", "### Load per phase", "", "| " + " | ".join(HEADER) + " |"]
        lines += ["|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    if report.locust is not None:
        lo = report.locust
        lines += [
            "",
            f"Load: {lo.requests} requests, {lo.failures} failures, "
            f"{lo.rps:.1f} req/s, p95 {num(lo.p95_ms, 'ms')}"
            + ("" if lo.trustworthy else f" ⚠️ {lo.warning}"),
        ]
    if report.chaos is not None:
        ch = report.chaos
        hypothesis = "; ".join(
            f"hypothesis {c.when} the method: {'met' if c.met else 'not met'}"
            for c in ch.steady_states
        )
        lines += [
            f"Chaos: {ch.status or 'unknown'}"
            + (", deviated" if ch.deviated else "")
            + f"; {len(ch.activities)} activities, {len(ch.rollbacks)} rollbacks"
            + (f"; {hypothesis}" if hypothesis else "")
        ]
    lines.append("")
    return "\n".join(lines)
