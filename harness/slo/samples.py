"""Per-second samples of every SLI, the evidence comparisons test (`harness.slo.comparison`).

* Prometheus SLIs: the SLI's own expression at every scrape, each point over the shortest
  window `rate()` can use (two scrape intervals), so neighbouring points share one interval.
* Client SLIs from Locust's 1 s history rows: error ratio and request rate from the cumulative
  counts of consecutive rows (each second's own requests: no overlap); p95 is Locust's rolling
  10 s percentile, so each point covers 10 s (blocks of 10 s are tested).
* Client percentiles from the per-second HdrHistograms the Locust process writes
  (`harness.contracts.latency`), when the run has them: each second's own requests, `window`
  = 1 s (`latency_samples`); they win over Locust's rolling percentile. A caller can also hand
  in ready `SampleSeries` through `gather_samples(..., exact=...)`.

The only I/O is the `PromQLSource` handed in, as in `measure`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harness.contracts.latency import ClientLatency
from harness.contracts.locust import ROLLING_WINDOW, ClientHistory
from harness.contracts.promql import PromQLSource
from harness.scenario.model import PERCENTILE_METRICS, ClientSli, HarnessExtension, SloSpec
from harness.slo.comparison import SampleSeries
from harness.slo.measure import fetch_series
from harness.slo.model import Sample

RATE_SCRAPES = 2  # the shortest window rate()/increase() can use: two samples


def client_samples(history: ClientHistory | None, slo: SloSpec) -> SampleSeries | None:
    """Locust's view of a client SLI, one sample per history row."""
    if history is None or not isinstance(slo.sli, ClientSli) or len(history.rows) < 2:
        return None
    metric = slo.sli.metric
    if metric == "p95_ms":
        points = [(r.t, r.p95_ms) for r in history.rows if r.p95_ms is not None]
        return SampleSeries(
            source="locust-history", step=1.0, window=ROLLING_WINDOW, samples=tuple(points)
        )
    out: list[Sample] = []
    for before, row in zip(history.rows, history.rows[1:], strict=False):
        requests = row.requests - before.requests
        seconds = row.t - before.t
        if seconds <= 0:
            continue
        if metric == "requests_per_s":
            out.append((row.t, requests / seconds))
        elif requests > 0:
            out.append((row.t, (row.failures - before.failures) / requests))
    return SampleSeries(source="locust-history", step=1.0, window=1.0, samples=tuple(out))


def latency_samples(
    latency: ClientLatency | None, slo: SloSpec, start: float, end: float
) -> SampleSeries | None:
    """A client percentile SLI per second, exact: each second's selected requests merged."""
    if latency is None or not isinstance(slo.sli, ClientSli):
        return None
    q = PERCENTILE_METRICS.get(slo.sli.metric)
    if q is None:
        return None
    points = [
        (t, value)
        for t, stats in latency.per_second(start, end, slo.sli.requests)
        if (value := stats.percentile(q)) is not None
    ]
    return SampleSeries(source="hdr-histogram", step=1.0, window=1.0, samples=tuple(points))


def prometheus_samples(
    source: PromQLSource | None, slo: SloSpec, start: float, end: float, scrape: float
) -> SampleSeries | None:
    """The SLI every scrape interval over [start, end], each over two scrape intervals."""
    window = RATE_SCRAPES * scrape
    points, error = fetch_series(source, slo, start, end, scrape, window)
    if error is not None:
        return None
    return SampleSeries(source="prometheus", step=scrape, window=window, samples=tuple(points))


def gather_samples(
    ext: HarnessExtension,
    start: float,
    end: float,
    *,
    source: PromQLSource | None,
    client: ClientHistory | None,
    scrape: float,
    latency: ClientLatency | None = None,
    exact: Mapping[str, SampleSeries] | None = None,
) -> dict[str, SampleSeries]:
    """Per-second samples of every SLO, by SLO name; `exact` ones (per-second histograms) win."""
    out: dict[str, SampleSeries] = {}
    for slo in ext.slos:
        if exact and slo.name in exact:
            out[slo.name] = exact[slo.name]
            continue
        series = (
            (latency_samples(latency, slo, start, end) or client_samples(client, slo))
            if isinstance(slo.sli, ClientSli)
            else prometheus_samples(source, slo, start, end, scrape)
        )
        if series is not None:
            out[slo.name] = series
    return out


def from_report_series(
    ext: HarnessExtension, series: Mapping[str, Sequence[Sample]], scrape: float
) -> dict[str, SampleSeries]:
    """Samples of a report written before per-second samples were kept: its detection series
    (each point over the detection window; Locust p95 over its 10 s)."""
    window = max(ext.detect_window, 4 * scrape)
    out: dict[str, SampleSeries] = {}
    for slo in ext.slos:
        points = tuple(series.get(slo.name, ()))
        if not points:
            continue
        w = window
        if isinstance(slo.sli, ClientSli):
            w = ROLLING_WINDOW if slo.sli.metric == "p95_ms" else max(window, 1.0)
        out[slo.name] = SampleSeries(source="report-series", step=scrape, window=w, samples=points)
    return out


__all__ = ["client_samples", "from_report_series", "gather_samples", "prometheus_samples"]
