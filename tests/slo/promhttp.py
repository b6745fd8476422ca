"""A real Prometheus serving backfilled, deterministic data, reached through the harness's own
client (`harness.prometheus.client.PrometheusClient`, the `PromQLSource` the judges take)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from harness.prometheus.client import PrometheusClient
from tests.promserver import serve_openmetrics


def openmetrics(families: Mapping[str, Mapping[str, Sequence[tuple[float, float]]]]) -> str:
    """{family: {'name{labels}': [(t, value)]}} as OpenMetrics text for promtool."""
    lines = []
    for family, series in families.items():
        kind = "histogram" if family.endswith("_ms") else "counter"
        lines.append(f"# TYPE {family} {kind}")
        for name, samples in series.items():
            lines += [f"{name} {v:g} {t:.3f}" for t, v in samples if not math.isnan(v)]
    return "\n".join([*lines, "# EOF"]) + "\n"


@contextmanager
def backfilled_prometheus(tmp: Path, text: str) -> Iterator[PrometheusClient]:
    with (
        serve_openmetrics(tmp, text, scrape_interval="1s") as url,
        PrometheusClient(url, timeout=5.0) as client,
    ):
        yield client


def smoke_metrics(t0: float) -> str:
    """60 s of the metrics experiments/smoke.yaml queries; 10 % 503s from 25 s to 35 s."""
    kong: dict[str, list[tuple[float, float]]] = {}
    istio: dict[str, list[tuple[float, float]]] = {}
    hist: dict[str, list[tuple[float, float]]] = {}
    dest = 'reporter="destination",destination_service_name="order-service"'
    counts: dict[str, float] = {}
    for s in range(61):
        fault = 25 < s <= 35
        t = t0 + s
        for key, family, step in (
            ('kong_http_requests_total{code="200"}', kong, 9 if fault else 10),
            ('kong_http_requests_total{code="503"}', kong, 1 if fault else 0),
            (f'istio_requests_total{{{dest},response_code="200"}}', istio, 9 if fault else 10),
            (f'istio_requests_total{{{dest},response_code="503"}}', istio, 1 if fault else 0),
            (f'istio_request_duration_milliseconds_bucket{{{dest},le="100"}}', hist, 10),
            (f'istio_request_duration_milliseconds_bucket{{{dest},le="1000"}}', hist, 10),
            (f'istio_request_duration_milliseconds_bucket{{{dest},le="+Inf"}}', hist, 10),
        ):
            counts[key] = counts.get(key, 0.0) + step
            family.setdefault(key, []).append((t, counts[key]))
    return openmetrics(
        {"kong_http_requests": kong, "istio_requests": istio, "istio_request_duration_ms": hist}
    )
