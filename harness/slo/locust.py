"""Client-side SLIs from the load generator's per-second latency histograms, pure.

A window's figure is the exact merge of the whole seconds inside it (`ClientLatency.window`):
requests from the warm-up or the phase before never leak in, and a percentile is over the
requests the SLI selects (`ClientSli.requests`), not a rolling figure of everything.
"""

from __future__ import annotations

from harness.contracts.latency import ClientLatency, LatencyStats
from harness.scenario.model import PERCENTILE_METRICS, ClientSli
from harness.slo.model import Sample

# a percentile resting on fewer requests beyond it than this is flagged: p95 of 30 requests
# is the 2nd slowest of them, which one slow request decides
MIN_TAIL = 3


def value_of(stats: LatencyStats, metric: str) -> float | None:
    """The SLI of `metric` from a window's stats; None without requests to judge."""
    if metric == "error_ratio":
        return stats.failures / stats.requests if stats.requests else None
    if metric == "requests_per_s":
        return stats.requests / stats.seconds if stats.seconds else None
    return stats.percentile(PERCENTILE_METRICS[metric])


def too_few(stats: LatencyStats, metric: str) -> str:
    """A warning when a percentile rests on too few requests to mean much, else ''."""
    q = PERCENTILE_METRICS.get(metric)
    if q is None or not stats.requests:
        return ""
    beyond = stats.requests * (1 - q / 100)
    if beyond >= MIN_TAIL:
        return ""
    need = round(MIN_TAIL / (1 - q / 100))
    return (
        f"p{q:g} of {stats.requests} requests rests on {beyond:.1f} beyond it "
        f"(at least {need} requests make it meaningful)"
    )


def client_window(
    latency: ClientLatency, sli: ClientSli, start: float, end: float
) -> tuple[float | None, float | None, float | None, LatencyStats]:
    """(value, good, total, stats) of one client SLI over the whole seconds of [start, end]."""
    stats = latency.window(start, end, sli.requests)
    value = value_of(stats, sli.metric)
    good = float(stats.requests - stats.failures) if sli.metric == "error_ratio" else None
    return value, good, float(stats.requests), stats


def client_series(
    latency: ClientLatency, sli: ClientSli, start: float, end: float, window: float
) -> list[Sample]:
    """The SLI over time: at the end of each second, over the trailing `window` seconds."""
    out: list[Sample] = []
    for t, _ in latency.per_second(start, end, sli.requests):
        stats = latency.window(max(start, t + 1 - window), t + 1, sli.requests)
        value = value_of(stats, sli.metric)
        if value is not None:
            out.append((t + 1, value))
    return out
