"""report.html: one self-contained page (inline CSS and SVG, no script, no network).

Verdicts are text badges coloured by CSS, not emoji: a machine without an emoji font (headless
Chromium in CI, most servers) draws emoji as empty boxes. summary.md keeps its emoji for GitHub.
"""

from __future__ import annotations

from html import escape

from harness.report.charts import svg_chart
from harness.report.comparison import html_section
from harness.report.load_table import HEADER, load_rows
from harness.report.model import Chart, Report
from harness.report.rollouts import html_parts
from harness.report.text import PHASE_COLUMNS, budget, grid, num, secs, when
from harness.slo.judge import argo_action
from harness.slo.model import NamedSeries, Sample

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#24292f;margin:24px;
max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid
#d0d7de;padding-bottom:4px}table{border-collapse:collapse;margin:6px 0;width:100%}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}code{font-size:12px;word-break:break-all}.badge{display:inline-block;
padding:2px 10px;border-radius:12px;color:#fff;font-weight:600}.passed{background:#1a7f37}
.failed,.aborted{background:#cf222e}.inconclusive{background:#9a6700}.interrupted{background:
#57606a}.muted{color:#57606a}.charts{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}
figcaption{font-weight:600;margin:4px 0}td.v-passed{background:#dafbe1}td.v-failed{background:
#ffebe9}td.v-inconclusive{background:#fff8c5}.mark{display:inline-block;padding:0 6px;
margin-right:6px;border-radius:3px;color:#fff;font-size:11px;font-weight:700;line-height:17px;
text-transform:uppercase;letter-spacing:.3px}.mark.warning{background:#9a6700}
"""


def _mark(verdict: str) -> str:
    """A verdict badge that renders with any font: the word on a coloured background."""
    return f"<span class='mark {_e(verdict)}'>{_e(verdict)}</span>"


def _e(text: object) -> str:
    return escape(str(text))


def _table(head: list[str], rows: list[list[str]]) -> str:
    h = "".join(f"<th>{_e(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(rows_i) + "</tr>" for rows_i in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def _td(text: object, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<td{attr}>{_e(text)}</td>"


def _overlay(report: Report, key: str) -> list[tuple[str, tuple[Sample, ...]]]:
    """The compared run's lines of chart `key` (empty without a comparison)."""
    c = report.compared_with
    return [(s.name, s.samples) for s in c.overlay.get(key, ())] if c is not None else []


def _slo_charts(report: Report) -> list[str]:
    out = []
    for slo in report.scenario.harness.slos:
        samples = report.slo_series.get(slo.name, ())
        chart = Chart(
            key=f"slo-{slo.name}",
            title=slo.name,
            unit=slo.unit,
            series=(NamedSeries(name=slo.name, samples=tuple(samples)),),
        )
        t0 = min((p.start for p in report.phases), default=0.0)
        t1 = max((p.end for p in report.phases), default=t0 + 1)
        objective = [("objective", [(t0, slo.objective), (t1, slo.objective)])]
        svg = svg_chart(
            chart,
            report.phases,
            width=540,
            height=200,
            extra=objective,
            zoom=True,
            overlay=_overlay(report, chart.key),
        )
        out.append(
            f"<figure><figcaption>SLI {_e(slo.name)} {_e(slo.unit)}</figcaption>{svg}</figure>"
        )
    return out


def render_html(report: Report) -> str:
    sc = report.scenario
    v = report.verdict.value
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(sc.name)}: {_e(v)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_e(sc.title)}</h1>",
        f"<p><span class='badge {v}' id='verdict'>{_e(v)}</span> exit code "
        f"{report.exit_code} · scenario <code>{_e(sc.name)}</code> · target "
        f"{_e(report.target)} · run <code>{_e(report.run_id)}</code> · "
        f"{_e(when(report.created))}</p>",
    ]
    if sc.description:
        parts.append(f"<p class='muted'>{_e(sc.description)}</p>")
    if report.reasons:
        parts.append("<ul>" + "".join(f"<li>{_e(r)}</li>" for r in report.reasons) + "</ul>")
    parts.append("<h2>Phases</h2>")
    parts.append(
        _table(
            ["phase", "start", "end", "duration"],
            [
                [_td(p.phase.value), _td(when(p.start)), _td(when(p.end)), _td(secs(p.duration))]
                for p in report.phases
            ],
        )
    )
    parts.append("<h2>SLO verdicts</h2>")
    rows = []
    for name, objective, cells in grid(report):
        row = [_td(name), _td(objective)]
        for phase in PHASE_COLUMNS:
            cell = cells.get(phase)
            row.append(
                _td("·")
                if cell is None
                else f"<td class='v-{cell.verdict.value}'>{_mark(cell.verdict.value)}"
                f"{_e(num(cell.value, cell.unit))}</td>"
            )
        rows.append(row)
    parts.append(_table(["SLO", "objective", *[p.value for p in PHASE_COLUMNS]], rows))
    parts.append(
        _table(
            ["SLO", "phase", "verdict", "reason", "query"],
            [
                [
                    _td(x.slo),
                    _td(x.phase.value),
                    f"<td class='v-{x.verdict.value}'>{_mark(x.verdict.value)}</td>",
                    _td(x.reason),
                    f"<td><code>{_e(x.query)}</code></td>",
                ]
                for x in report.verdicts
            ],
        )
    )
    parts.append("<h2>Charts</h2><div class='charts'>")
    for chart in report.charts:
        note = f" <span class='muted'>({_e(chart.error)})</span>" if chart.error else ""
        parts.append(
            f"<figure><figcaption>{_e(chart.title)} {_e(chart.unit)}{note}"
            f"</figcaption>{svg_chart(chart, report.phases, overlay=_overlay(report, chart.key))}"
            "</figure>"
        )
    parts.extend(_slo_charts(report))
    parts.append("</div>")
    parts.append(html_section(report))
    parts.append("<h2>Resilience</h2>")
    parts.append(
        _table(
            [
                "SLO",
                "service",
                "time to detect",
                "time to recover",
                "error budget spent",
                "baseline",
                "fault",
                "moved",
                "note",
            ],
            [
                [
                    _td(f.slo),
                    _td(f.service or "-"),
                    _td(secs(f.time_to_detect)),
                    _td("not recovered" if f.recovered is False else secs(f.time_to_recover)),
                    _td(budget(f.error_budget_spent)),
                    _td(num(f.baseline_value)),
                    _td(num(f.fault_value)),
                    _td("yes" if f.moved else "no"),
                    _td(f.note),
                ]
                for f in report.resilience.figures
            ],
        )
    )
    radius = ", ".join(report.resilience.blast_radius.services) or "none"
    parts.append(f"<p>Blast radius: <strong>{_e(radius)}</strong></p>")
    parts.append("<h2>Argo analyses</h2>")
    if not report.analyses:
        parts.append("<p class='muted'>none in this scenario</p>")
    for a in report.analyses:
        args = ", ".join(f"{k}={val}" for k, val in a.args.items())
        parts.append(
            f"<p><code>{_e(a.template)}</code> ({_e(a.mode)}, {_e(args)}): "
            f"<strong>{_e(a.phase)}</strong>: {_e(argo_action(a.phase))}. {_e(a.message)}</p>"
        )
        parts.append(
            _table(
                ["metric", "phase", "message", "measurements"],
                [
                    [
                        _td(m.name + (" (dry-run)" if m.dry_run else "")),
                        _td(m.phase),
                        _td(m.message),
                        _td("; ".join(f"{x.value}→{x.phase}" for x in m.measurements) or "-"),
                    ]
                    for m in a.metrics
                ],
            )
        )
    parts += html_parts(report.rollouts, min((p.start for p in report.phases), default=0.0))
    load = load_rows(report)
    if load:
        parts.append("<h2>Load per phase</h2>")
        parts.append(_table(list(HEADER), [[_td(c) for c in row] for row in load]))
    if report.locust is not None:
        lo = report.locust
        parts.append("<h2>Load (Locust)</h2>")
        if not lo.trustworthy:
            parts.append(f"<p><span class='mark warning'>warning</span>{_e(lo.warning)}</p>")
        parts.append(
            _table(
                ["requests", "failures", "req/s", "p50", "p95", "p99", "users"],
                [
                    [
                        _td(lo.requests),
                        _td(lo.failures),
                        _td(f"{lo.rps:.1f}"),
                        _td(num(lo.p50_ms, "ms")),
                        _td(num(lo.p95_ms, "ms")),
                        _td(num(lo.p99_ms, "ms")),
                        _td(lo.max_users),
                    ]
                ],
            )
        )
        parts.append(
            _table(
                ["endpoint", "requests", "failures", "p95", "req/s"],
                [
                    [
                        _td(f"{x.method} {x.name}"),
                        _td(x.requests),
                        _td(x.failures),
                        _td(num(x.p95_ms, "ms")),
                        _td(f"{x.rps:.1f}"),
                    ]
                    for x in lo.endpoints
                ],
            )
        )
    if report.chaos is not None:
        ch = report.chaos
        parts.append("<h2>Chaos Toolkit journal</h2>")
        ending = ""
        if ch.ending:
            ending = f" · harness: <strong>{_e(ch.ending)}</strong> {_e(ch.reason)}"
        parts.append(
            f"<p>status <strong>{_e(ch.status)}</strong>{', deviated' if ch.deviated else ''}"
            f"{ending}</p>"
        )
        if ch.steady_states:
            parts.append(
                _table(
                    ["steady-state hypothesis", "probe", "value", "tolerance", "error"],
                    [
                        [
                            _td(f"{c.when} the method: {'met' if c.met else 'not met'}"),
                            _td(p.name),
                            _td(p.value or "-"),
                            _td({True: "met", False: "not met", None: "-"}[p.tolerance_met]),
                            _td(p.error or ("" if p.status == "succeeded" else p.status)),
                        ]
                        for c in ch.steady_states
                        for p in c.probes
                    ],
                )
            )
        parts.append(
            _table(
                ["activity", "kind", "status", "start", "duration", "error"],
                [
                    [
                        _td(a.name),
                        _td(kind),
                        _td(a.status),
                        _td(a.start or "-"),
                        _td(secs(a.duration)),
                        _td(a.error),
                    ]
                    for kind, items in (("method", ch.activities), ("rollback", ch.rollbacks))
                    for a in items
                ],
            )
        )
    parts.append("<h2>Tools</h2>")
    parts.append(
        _table(["tool", "version"], [[_td(k), _td(val)] for k, val in report.tool_versions.items()])
    )
    parts.append(f"<p class='muted'>report schema {report.schema_version}</p></body></html>")
    return "".join(parts)
