"""Chart data (Prometheus range queries plus Locust's own view) and the SVG that draws it.

Our own small SVG writer: report.html must open offline, so no chart library and no script.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from harness.errors import HarnessError
from harness.report.model import Chart
from harness.scenario.model import ChartSpec, HarnessExtension, Phase
from harness.slo.locust import ClientHistory, client_series
from harness.slo.model import NamedSeries, PhaseWindow, Sample
from harness.slo.source import MetricSource, with_window

DEFAULT_CHARTS: tuple[tuple[str, ChartSpec], ...] = (
    (
        "request-rate",
        ChartSpec(
            title="Request rate at the gateway",
            unit="req/s",
            query="sum(rate(kong_http_requests_total[{{rate}}]))",
        ),
    ),
    (
        "error-ratio",
        ChartSpec(
            title="Error ratio (5xx) at the gateway",
            query='sum(rate(kong_http_requests_total{code=~"5.."}[{{rate}}])) '
            "/ sum(rate(kong_http_requests_total[{{rate}}]))",
        ),
    ),
    (
        "p95-latency",
        ChartSpec(
            title="p95 latency at the gateway",
            unit="ms",
            query="histogram_quantile(0.95, sum by (le) (rate(kong_request_latency_ms_bucket"
            "[{{rate}}])))",
        ),
    ),
    (
        "breaker-state",
        ChartSpec(
            title="Circuit breaker state (0 closed, 1 open, 2 half-open)",
            query="max by (service, target) (circuit_breaker_state)",
        ),
    ),
    (
        "ready-pods",
        ChartSpec(
            title="Ready pods",
            legend="deployment",
            query="sum by (deployment) (kube_deployment_status_replicas_ready)",
        ),
    ),
)
_CLIENT = {"request-rate": "requests_per_s", "error-ratio": "error_ratio", "p95-latency": "p95_ms"}
PALETTE = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7b83")


def _key(title: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in title.lower()).split())


def _name(labels: dict[str, str], spec: ChartSpec) -> str:
    if spec.legend and spec.legend in labels:
        return labels[spec.legend]
    visible = {k: v for k, v in labels.items() if k != "__name__"}
    return ", ".join(f"{k}={v}" for k, v in sorted(visible.items())) or "all"


def collect_charts(
    ext: HarnessExtension,
    start: float,
    end: float,
    *,
    source: MetricSource | None,
    client: ClientHistory | None,
    step: float,
    rate_window: float,
) -> tuple[Chart, ...]:
    """Every chart over [start, end]: the scenario's own charts or the five defaults."""
    specs = (
        tuple((_key(s.title), s) for s in ext.charts) if ext.charts is not None else DEFAULT_CHARTS
    )
    charts = []
    for key, spec in specs:
        query = with_window(spec.query, rate_window)
        series: list[NamedSeries] = []
        error = ""
        if source is None:
            error = "no Prometheus to ask"
        else:
            try:
                for s in source.query_range(query, start, end, step):
                    series.append(
                        NamedSeries(
                            name=_name(dict(s.labels), spec),
                            samples=tuple((float(t), float(v)) for t, v in s.samples),
                        )
                    )
            except HarnessError as exc:
                error = str(exc)
        metric = _CLIENT.get(key)
        if client is not None and metric is not None and ext.charts is None:
            points = client_series(client, metric, rate_window)  # type: ignore[arg-type]
            inside = tuple(p for p in points if start <= p[0] <= end)
            if inside:
                series.append(NamedSeries(name="client (Locust)", samples=inside))
        charts.append(
            Chart(
                key=key,
                title=spec.title,
                unit=spec.unit,
                query=query,
                series=tuple(series),
                error=error,
            )
        )
    return tuple(charts)


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
) -> str:
    """One chart as an inline SVG element; the fault window shaded, each phase marked."""
    left, right, top, bottom = 56, 12, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    t0 = min((p.start for p in phases), default=0.0)
    t1 = max((p.end for p in phases), default=t0 + 1)
    lines = [(s.name, s.samples) for s in chart.series] + list(extra)
    values = [v for _, pts in lines for _, v in pts if math.isfinite(v)]
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
