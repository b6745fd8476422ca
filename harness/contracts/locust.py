"""What Locust's CSV files say, as records: the load edge reads them, the judges receive them.

Locust (`--csv PREFIX`) writes `PREFIX_stats.csv` (one `EndpointStats` per request name plus
the `Aggregated` total), `PREFIX_stats_history.csv` once a second (one `ClientRow` of the
`Aggregated` line: cumulative counts, so window error ratios are exact; percentiles over the
last 10 seconds) and `PREFIX_failures.csv` (one `FailureCount` per distinct failure text). The
one reader is `harness.load.stats`.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLLING_WINDOW = 10.0  # locust.stats.CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW
HISTORY_INTERVAL = 1.0  # locust.stats.CSV_STATS_INTERVAL_SEC
AGGREGATED = "Aggregated"  # the Name of the total row in every file


@dataclass(frozen=True)
class ClientRow:
    """One second of `PREFIX_stats_history.csv`, Aggregated line."""

    t: float
    users: int
    requests: float  # cumulative
    failures: float  # cumulative
    rps: float
    p95_ms: float | None  # over the last ROLLING_WINDOW seconds
    failures_per_s: float = 0.0


@dataclass(frozen=True)
class ClientHistory:
    """The history rows, oldest first."""

    rows: tuple[ClientRow, ...]

    def between(self, start: float, end: float) -> list[ClientRow]:
        return [r for r in self.rows if start <= r.t <= end]

    def at_or_before(self, t: float) -> ClientRow | None:
        before = [r for r in self.rows if r.t <= t]
        return before[-1] if before else None


@dataclass(frozen=True)
class EndpointStats:
    """One row of `PREFIX_stats.csv`: a request name, or the Aggregated total (`method` "").

    Locust's median and its 50th percentile differ (the median is clamped to min and max, the
    percentile is "N/A" without requests): the report shows the first, `harness load` the second.
    """

    method: str
    name: str
    requests: int
    failures: int
    rps: float
    median_ms: float | None
    average_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None


@dataclass(frozen=True)
class FailureCount:
    """One row of `PREFIX_failures.csv`: a distinct failure text and how often it happened."""

    method: str
    name: str
    error: str
    occurrences: int


@dataclass(frozen=True)
class LocustStats:
    """`PREFIX_stats.csv`: the Aggregated total (None when Locust wrote none) and each endpoint."""

    total: EndpointStats | None
    endpoints: tuple[EndpointStats, ...]


__all__ = [
    "AGGREGATED",
    "HISTORY_INTERVAL",
    "ROLLING_WINDOW",
    "ClientHistory",
    "ClientRow",
    "EndpointStats",
    "FailureCount",
    "LocustStats",
]
