"""The "compared with" and "recovery against baseline" sections of report.html and summary.md,
and the text `harness compare` prints and writes."""

from __future__ import annotations

from html import escape

from harness.report.model import Report
from harness.report.text import when
from harness.slo.comparison import Comparison, ShiftClass, SliShift, recovered_statement

MARK = {
    ShiftClass.HIGHER: "higher",
    ShiftClass.LOWER: "lower",
    ShiftClass.NO_DIFFERENCE: "no difference",
    ShiftClass.TOO_FEW: "too few samples",
}


def _n(v: float | None, *, sign: bool = False) -> str:
    if v is None:
        return "-"
    v = 0.0 if abs(v) < 1e-9 else v  # a median of differences like 8.9e-16 is 0
    return f"{v:+.4g}" if sign else f"{v:.4g}"


def _cells(s: SliShift) -> list[str]:
    unit = f" {s.unit}" if s.unit else ""
    interval = "-" if s.low is None else f"[{_n(s.low)}, {_n(s.high)}]{unit}"
    verdict = MARK[s.result] + (" (worse)" if s.worse else "")
    return [
        s.slo,
        s.phase.value,
        f"{_n(s.median)}{unit}",
        f"{_n(s.reference_median)}{unit}",
        f"{_n(s.shift, sign=True)}{unit}",
        interval,
        _n(s.p_value),
        f"{s.n}/{s.n_reference}, 1 per {s.block_s:g}s",
        verdict,
    ]


HEAD = ["SLI", "phase", "this run", "other", "shift", "interval", "p", "samples", "class"]


def _headline(c: Comparison) -> str:
    if c.run_id is None:
        return f"Compared with nothing: {c.note}"
    worse = sum(1 for s in c.shifts if s.worse)
    verdict = f", verdict {c.verdict}" if c.verdict else ""
    return (
        f"Compared with run {c.run_id} ({c.basis}; {when(c.created)}{verdict}): "
        f"{worse} SLI-phase(s) significantly worse at "
        f"{(c.shifts[0].confidence if c.shifts else 0.95):.0%}"
    )


def comparison_markdown(c: Comparison, run_id: str) -> str:
    """The whole comparison as Markdown: `harness compare` prints and writes this."""
    lines = [f"## Run {run_id}", "", _headline(c), ""]
    if c.shifts:
        lines += ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
        lines += ["| " + " | ".join(_cells(s)) + " |" for s in c.shifts]
        lines.append("")
    return "\n".join(lines) + "\n"


def markdown_section(report: Report) -> list[str]:
    lines: list[str] = []
    if report.compared_with is not None:
        c = report.compared_with
        lines += ["", "### Compared with", "", _headline(c), ""]
        if c.shifts:
            lines += ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
            lines += ["| " + " | ".join(_cells(s)) + " |" for s in c.shifts]
    if report.recovery:
        lines += ["", "### Recovery against baseline", ""]
        lines += [f"- {recovered_statement(s)}" for s in report.recovery]
    return lines


def _table(head: list[str], rows: list[list[str]]) -> str:
    h = "".join(f"<th>{escape(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def html_section(report: Report) -> str:
    out = []
    if report.compared_with is not None:
        c = report.compared_with
        out.append(f"<h2 id='compared-with'>Compared with</h2><p>{escape(_headline(c))}</p>")
        if c.shifts:
            out.append(_table(HEAD, [_cells(s) for s in c.shifts]))
        if c.overlay:
            out.append(
                "<p class='muted'>The charts draw the other run's lines lighter, its first "
                "phase aligned with this run's.</p>"
            )
    if report.recovery:
        out.append("<h2 id='recovery'>Recovery against baseline</h2><ul>")
        out += [f"<li>{escape(recovered_statement(s))}</li>" for s in report.recovery]
        out.append("</ul>")
    return "".join(out)


__all__ = ["comparison_markdown", "html_section", "markdown_section"]
