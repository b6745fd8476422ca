"""Client-side SLIs from Locust's records (`harness.contracts.locust`), pure.

Counts are cumulative, so window error ratios are exact; Locust's percentiles cover its last 10
seconds, so a window's p95 is approximated, conservatively, by the highest rolling p95 inside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.contracts.locust import HISTORY_INTERVAL, ROLLING_WINDOW, ClientHistory, ClientRow
from harness.scenario.model import ClientMetric
from harness.slo.model import Sample


def client_window(
    history: ClientHistory, metric: ClientMetric, start: float, end: float
) -> tuple[float | None, float | None, float | None, list[ClientRow]]:
    """(value, good, total, rows inside) of one client SLI over [start, end].

    Locust stamps a row with the second it was taken in, truncated (`int(time.time())`): a row
    labelled t holds the counts of some instant in [t, t + 1). Counts come from the first row
    labelled at or after `start` and the last labelled at or before `end - 1`, so that no
    request from the phase before or after leaks in (at a fault's end, the last aborted
    requests would otherwise count against recovery).
    """
    rows = history.between(start, end)
    first = next((r for r in history.rows if r.t >= start), None)
    last = history.at_or_before(end - HISTORY_INTERVAL)
    if first is None or last is None or last.t <= first.t:
        return None, None, None, rows
    requests = last.requests - first.requests
    failures = last.failures - first.failures
    if metric == "error_ratio":
        if requests <= 0:
            return None, None, 0.0, rows
        return failures / requests, requests - failures, requests, rows
    if metric == "requests_per_s":
        return requests / (last.t - first.t), None, requests, rows
    # p95: rows whose 10 s look-back lies mostly inside the window
    skip = min(ROLLING_WINDOW, (end - start) / 2)
    p95s = [r.p95_ms for r in rows if r.t >= start + skip and r.p95_ms is not None]
    return (max(p95s) if p95s else None), None, requests, rows


def client_series(history: ClientHistory, metric: ClientMetric, window: float) -> list[Sample]:
    """The SLI over time, each point over the trailing `window` seconds (for detection)."""
    out: list[Sample] = []
    rows: Sequence[ClientRow] = history.rows
    for row in rows:
        if metric == "p95_ms":
            if row.p95_ms is not None:
                out.append((row.t, row.p95_ms))
            continue
        if metric == "requests_per_s":
            out.append((row.t, row.rps))
            continue
        back = history.at_or_before(row.t - window)
        if back is None or row.requests - back.requests <= 0:
            continue
        out.append((row.t, (row.failures - back.failures) / (row.requests - back.requests)))
    return out
