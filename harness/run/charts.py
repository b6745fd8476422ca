"""Chart data of a run: Prometheus range queries, plus the client's view on the default charts
(from the per-second latency histograms: exact per second, see harness.load.latency).

`harness.report.charts` draws them; this module asks for them, so the report only renders.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness.contracts.latency import ClientLatency
from harness.contracts.promql import PromQLSource
from harness.errors import HarnessError
from harness.report.model import Chart
from harness.scenario.model import ChartSpec, ClientMetric, ClientSli, HarnessExtension
from harness.slo import promql
from harness.slo.locust import client_series
from harness.slo.model import NamedSeries
from harness.slo.promql import with_window

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
# the default charts Locust's own view is drawn on, and the client SLI it draws
_CLIENT: dict[str, ClientMetric] = {
    "request-rate": "requests_per_s",
    "error-ratio": "error_ratio",
    "p95-latency": "p95_ms",
}


def _key(title: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in title.lower()).split())


def _name(labels: Mapping[str, str], spec: ChartSpec) -> str:
    if spec.legend and spec.legend in labels:
        return labels[spec.legend]
    visible = {k: v for k, v in labels.items() if k != "__name__"}
    return ", ".join(f"{k}={v}" for k, v in sorted(visible.items())) or "all"


def collect_charts(
    ext: HarnessExtension,
    start: float,
    end: float,
    *,
    source: PromQLSource | None,
    client: ClientLatency | None,
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
                for s in promql.series(source, query, start, end, step):
                    series.append(
                        NamedSeries(
                            name=_name(s.labels, spec),
                            samples=tuple((float(t), float(v)) for t, v in s.points),
                        )
                    )
            except HarnessError as exc:
                error = str(exc)
        metric = _CLIENT.get(key)
        if client is not None and metric is not None and ext.charts is None:
            sli = ClientSli(type="client", metric=metric)
            inside = tuple(client_series(client, sli, start, end, rate_window))
            if inside:
                series.append(NamedSeries(name="client (load generator)", samples=inside))
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
    if client is not None:
        charts.append(client_latency_chart(client, start, end))
    return tuple(charts)


CLIENT_LATENCY_KEY = "client-latency"


def client_latency_chart(client: ClientLatency, start: float, end: float) -> Chart:
    """p50/p95/p99 of every request, per second (the exact per-second histograms)."""
    seconds = client.per_second(start, end)
    series = []
    for label, attr in (("p50", "p50_ms"), ("p95", "p95_ms"), ("p99", "p99_ms")):
        samples = tuple(
            (t, float(v)) for t, stats in seconds if (v := getattr(stats, attr)) is not None
        )
        series.append(NamedSeries(name=label, samples=samples))
    return Chart(
        key=CLIENT_LATENCY_KEY,
        title="Client latency per second (every request, by its start)",
        unit="ms",
        query="client:latency per second (HdrHistogram)",
        series=tuple(series),
        error="" if seconds else "no requests recorded",
    )
