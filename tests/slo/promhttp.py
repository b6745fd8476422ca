"""A minimal `MetricSource` over Prometheus' HTTP API, for tests (the harness's own client lives
in `harness.prometheus.client`); plus a real Prometheus serving backfilled, deterministic data."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from harness.errors import CouldNotRun
from harness.slo import RangeSeries
from tests.promserver import serve_openmetrics


@dataclass
class HttpSource:
    url: str

    def _get(self, path: str, params: dict[str, str | float]) -> dict[str, object]:
        try:
            reply = httpx.get(f"{self.url}{path}", params=params, timeout=5)
        except httpx.HTTPError as exc:
            raise CouldNotRun(f"Prometheus at {self.url} did not answer: {exc}") from exc
        body = reply.json()
        if body.get("status") != "success":
            raise CouldNotRun(f"Prometheus refused the query: {body.get('error')}")
        data: dict[str, object] = body["data"]
        return data

    def query(self, promql: str, at: float) -> float | list[float] | None:
        data = self._get("/api/v1/query", {"query": promql, "time": at})
        result = data["result"]
        if data["resultType"] == "scalar":
            return float(result[1])  # type: ignore[index]  # [time, "value"]
        return [float(r["value"][1]) for r in result]  # type: ignore[attr-defined]

    def query_range(self, promql: str, start: float, end: float, step: float) -> list[RangeSeries]:
        data = self._get(
            "/api/v1/query_range", {"query": promql, "start": start, "end": end, "step": step}
        )
        return [
            RangeSeries(labels=r["metric"], samples=[(float(t), float(v)) for t, v in r["values"]])
            for r in data["result"]  # type: ignore[attr-defined]
        ]


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
def backfilled_prometheus(tmp: Path, text: str) -> Iterator[HttpSource]:
    with serve_openmetrics(tmp, text, scrape_interval="1s") as url:
        yield HttpSource(url)


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
