"""The SVG that draws a chart (its data is gathered by `harness.run.charts`).

Our own small SVG writer: report.html must open offline, so no chart library and no script.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from harness.report.model import Chart
from harness.scenario.model import Phase
from harness.slo.model import PhaseWindow, Sample

PALETTE = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7b83")


def _nice(top: float) -> float:
    if top <= 0 or not math.isfinite(top):
        return 1.0
    exp = 10 ** math.floor(math.log10(top))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if top <= m * exp:
            return float(m * exp)
    return float(10 * exp)


def _label(v: float) -> str:
    return f"{v:.3g}"


def svg_chart(
    chart: Chart,
    phases: Sequence[PhaseWindow],
    *,
    width: int = 760,
    height: int = 230,
    extra: Sequence[tuple[str, Sequence[Sample]]] = (),
    zoom: bool = False,
    overlay: Sequence[tuple[str, Sequence[Sample]]] = (),
) -> str:
    """One chart as an inline SVG element; the fault window shaded, each phase marked.
    `overlay`: another run's lines, drawn lighter under this run's (class `previous`)."""
    left, right, top, bottom = 56, 12, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    t0 = min((p.start for p in phases), default=0.0)
    t1 = max((p.end for p in phases), default=t0 + 1)
    lines = [(s.name, s.samples) for s in chart.series] + list(extra)
    values = [v for _, pts in [*lines, *overlay] for _, v in pts if math.isfinite(v)]
    times = [t for _, pts in lines for t, _ in pts]
    if times:
        t0, t1 = min(t0, *times), max(t1, *times)
    t1 = t1 if t1 > t0 else t0 + 1
    ymin, ymax = 0.0, _nice(max(values, default=1.0) * 1.05)
    if zoom and values:  # SLI charts: show the band around the objective, not 0..max
        lo, hi = min(values), max(values)
        pad = (hi - lo) * 0.1 or abs(hi) * 0.01 or 1.0
        ymin, ymax = lo - pad, hi + pad

    def x(t: float) -> float:
        return left + (t - t0) / (t1 - t0) * plot_w

    def y(v: float) -> float:
        return top + plot_h - (min(max(v, ymin), ymax) - ymin) / (ymax - ymin) * plot_h

    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'style="max-width:100%;height:auto" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(chart.title)}">'
    ]
    for p in phases:
        if p.phase is Phase.FAULT:
            out.append(
                f'<rect class="fault" x="{x(p.start):.1f}" y="{top}" '
                f'width="{max(x(p.end) - x(p.start), 1):.1f}" height="{plot_h}" '
                'fill="#d1242f" fill-opacity="0.12"><title>fault window</title></rect>'
            )
        out.append(
            f'<line x1="{x(p.start):.1f}" x2="{x(p.start):.1f}" y1="{top}" '
            f'y2="{top + plot_h}" stroke="#8c959f" stroke-dasharray="3 3"/>'
        )
        out.append(
            f'<text x="{x(p.start) + 3:.1f}" y="{top + 10}" font-size="10" '
            f'fill="#57606a">{escape(p.phase.value)}</text>'
        )
    for i in range(5):
        v = ymin + (ymax - ymin) * i / 4
        out.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            'stroke="#eaeef2"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="10" '
            f'text-anchor="end" fill="#57606a">{_label(v)}</text>'
        )
    for i in range(6):
        t = t0 + (t1 - t0) * i / 5
        out.append(
            f'<text x="{x(t):.1f}" y="{top + plot_h + 14}" font-size="10" '
            f'text-anchor="middle" fill="#57606a">{t - t0:.0f}s</text>'
        )
    out.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#8c959f"/>'
    )
    for i, (_, pts) in enumerate(overlay):  # under this run's lines, same colours, lighter
        seg = [f"{x(t):.1f},{y(v):.1f}" for t, v in sorted(pts) if math.isfinite(v)]
        if len(seg) > 1:
            out.append(
                f'<polyline class="previous" fill="none" stroke="{PALETTE[i % len(PALETTE)]}" '
                f'stroke-opacity="0.3" stroke-width="1.4" points="{" ".join(seg)}"/>'
            )
    for i, (name, pts) in enumerate(lines):
        color = PALETTE[i % len(PALETTE)]
        segments: list[list[str]] = [[]]
        for t, v in sorted(pts):
            if math.isfinite(v):
                segments[-1].append(f"{x(t):.1f},{y(v):.1f}")
            elif segments[-1]:
                segments.append([])
        for seg in segments:
            if len(seg) == 1:
                cx, cy = seg[0].split(",")
                out.append(f'<circle cx="{cx}" cy="{cy}" r="2" fill="{color}"/>')
            elif seg:
                out.append(
                    f'<polyline class="series" fill="none" stroke="{color}" '
                    f'stroke-width="1.6" points="{" ".join(seg)}"/>'
                )
        lx = left + 6 + (i % 4) * 180
        ly = height - 18 + (i // 4) * 12
        out.append(f'<rect x="{lx}" y="{ly - 8}" width="10" height="3" fill="{color}"/>')
        out.append(
            f'<text x="{lx + 14}" y="{ly - 4}" font-size="10" fill="#24292f">'
            f"{escape(name[:40])}</text>"
        )
    if not values:
        out.append(
            f'<text x="{left + plot_w / 2:.0f}" y="{top + plot_h / 2:.0f}" '
            'text-anchor="middle" font-size="12" fill="#57606a">no data</text>'
        )
    out.append("</svg>")
    return "".join(out)
