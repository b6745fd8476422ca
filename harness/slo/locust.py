"""Client-side SLIs from Locust's CSV files (`--csv PREFIX --csv-full-history` not needed).

Locust writes `PREFIX_stats_history.csv` once a second: cumulative request and failure counts
(exact, so window error ratios are exact) and percentiles over its last 10 seconds (so a
window's p95 is approximated, conservatively, by the highest rolling p95 inside it).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from harness.errors import BadInput
from harness.scenario.model import ClientMetric
from harness.slo.model import Sample

ROLLING_WINDOW = 10.0  # locust.stats.CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW
HISTORY_INTERVAL = 1.0  # locust.stats.CSV_STATS_INTERVAL_SEC


@dataclass(frozen=True)
class ClientRow:
    t: float
    users: int
    requests: float  # cumulative
    failures: float  # cumulative
    rps: float
    p95_ms: float | None  # over the last ROLLING_WINDOW seconds


@dataclass(frozen=True)
class ClientHistory:
    rows: tuple[ClientRow, ...]

    def between(self, start: float, end: float) -> list[ClientRow]:
        return [r for r in self.rows if start <= r.t <= end]

    def at_or_before(self, t: float) -> ClientRow | None:
        before = [r for r in self.rows if r.t <= t]
        return before[-1] if before else None


class EndpointStats(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")

    method: str
    name: str
    requests: int
    failures: int
    median_ms: float | None
    average_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    rps: float


class LocustSummary(BaseModel):
    """The load as the client saw it, for the report."""

    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")

    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_users: int = 0
    endpoints: tuple[EndpointStats, ...] = ()
    trustworthy: bool = True  # False when the load generator was saturated (CPU > 90 %)
    warning: str = ""


def _num(text: str | None) -> float | None:
    if text is None or text.strip() in ("", "N/A"):
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _open(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except OSError as exc:
        raise BadInput(f"{path}: cannot read Locust statistics ({exc.strerror})") from exc


def read_history(prefix: Path) -> ClientHistory:
    """Aggregated rows of `PREFIX_stats_history.csv`, oldest first."""
    rows = []
    for row in _open(Path(f"{prefix}_stats_history.csv")):
        if row.get("Name") != "Aggregated":
            continue
        t = _num(row.get("Timestamp"))
        if t is None:
            continue
        rows.append(
            ClientRow(
                t=t,
                users=int(_num(row.get("User Count")) or 0),
                requests=_num(row.get("Total Request Count")) or 0.0,
                failures=_num(row.get("Total Failure Count")) or 0.0,
                rps=_num(row.get("Requests/s")) or 0.0,
                p95_ms=_num(row.get("95%")),
            )
        )
    rows.sort(key=lambda r: r.t)
    return ClientHistory(tuple(rows))


def read_summary(
    prefix: Path, history: ClientHistory | None = None, *, saturated_warning: str = ""
) -> LocustSummary:
    """The totals and per-endpoint figures of `PREFIX_stats.csv`."""
    total: dict[str, str] = {}
    endpoints = []
    for row in _open(Path(f"{prefix}_stats.csv")):
        if row.get("Name") == "Aggregated":
            total = row
            continue
        endpoints.append(
            EndpointStats(
                method=row.get("Type", ""),
                name=row.get("Name", ""),
                requests=int(_num(row.get("Request Count")) or 0),
                failures=int(_num(row.get("Failure Count")) or 0),
                median_ms=_num(row.get("Median Response Time")),
                average_ms=_num(row.get("Average Response Time")),
                p95_ms=_num(row.get("95%")),
                p99_ms=_num(row.get("99%")),
                max_ms=_num(row.get("Max Response Time")),
                rps=_num(row.get("Requests/s")) or 0.0,
            )
        )
    users = max((r.users for r in history.rows), default=0) if history else 0
    return LocustSummary(
        requests=int(_num(total.get("Request Count")) or 0),
        failures=int(_num(total.get("Failure Count")) or 0),
        rps=_num(total.get("Requests/s")) or 0.0,
        p50_ms=_num(total.get("50%")),
        p95_ms=_num(total.get("95%")),
        p99_ms=_num(total.get("99%")),
        max_users=users,
        endpoints=tuple(endpoints),
        trustworthy=not saturated_warning,
        warning=saturated_warning,
    )


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
