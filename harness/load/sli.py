"""`harness load`'s summary of a run (`summary.json`), from the records `harness.load.stats` reads.

Inputs (written by `locust --csv <out>/locust`): `locust_stats.csv` (totals and percentiles per
request name, plus an `Aggregated` row), `locust_stats_history.csv` (one `Aggregated` row per
second: users, requests/s, cumulative counts) and `locust_failures.csv` (one row per distinct
failure text). Output: a `LoadSummary`, the JSON `summary.json` of a run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.contracts.locust import EndpointStats
from harness.errors import CouldNotJudge
from harness.load.causes import classify
from harness.load.stats import read_failures, read_history, read_stats, stats_file

SCHEMA = "harness.load.summary/v1"


@dataclass(frozen=True)
class CauseCount:
    count: int
    ratio: float  # of all requests


@dataclass(frozen=True)
class Latency:
    p50: float | None
    p95: float | None
    p99: float | None
    avg: float | None
    max: float | None

    @classmethod
    def of(cls, stats: EndpointStats) -> Latency:
        return cls(
            p50=stats.p50_ms,
            p95=stats.p95_ms,
            p99=stats.p99_ms,
            avg=stats.average_ms,
            max=stats.max_ms,
        )


@dataclass(frozen=True)
class UserPoint:
    t_s: float  # seconds since the first history row
    users: int
    rps: float
    failures_per_s: float


@dataclass(frozen=True)
class LoadSummary:
    requests: int
    failures: int
    rps: float
    error_ratio: float
    errors_by_cause: dict[str, CauseCount]
    latency_ms: Latency
    started_at: float  # Unix time of the first history row (aligns the timeline with metrics)
    duration_s: float
    max_users: int
    endpoints: list[EndpointStats]  # each rendered as in summary.json/v1 (`latency_ms`)
    timeline: list[UserPoint]
    trustworthy: bool = True
    warnings: list[str] = field(default_factory=list)
    schema: str = SCHEMA

    def to_json(self, **context: Any) -> dict[str, Any]:
        """The summary as JSON-ready data, with `context` (host, shape, ...) merged on top."""
        data = asdict(self)
        data["endpoints"] = [_endpoint_json(e) for e in self.endpoints]
        return {**data, **context}


def _endpoint_json(e: EndpointStats) -> dict[str, Any]:
    return {
        "method": e.method,
        "name": e.name,
        "requests": e.requests,
        "failures": e.failures,
        "rps": e.rps,
        "latency_ms": asdict(Latency.of(e)),
    }


def summarize(prefix: Path) -> LoadSummary:
    """Read `<prefix>_stats.csv`, `_stats_history.csv` and `_failures.csv` into a summary."""
    stats = read_stats(prefix)
    history = read_history(prefix)
    failures = read_failures(prefix)
    total = stats.total
    if total is None:
        raise CouldNotJudge(f"{stats_file(prefix, 'stats')}: no Aggregated row")
    requests = total.requests
    failed = total.failures

    by_cause: dict[str, int] = {}
    for failure in failures:
        cause = classify(failure.error)
        by_cause[cause] = by_cause.get(cause, 0) + failure.occurrences
    errors = {
        cause: CauseCount(count=n, ratio=n / requests if requests else 0.0)
        for cause, n in sorted(by_cause.items())
    }

    rows = history.rows
    start = rows[0].t if rows else 0.0
    timeline = [
        UserPoint(t_s=r.t - start, users=r.users, rps=r.rps, failures_per_s=r.failures_per_s)
        for r in rows
    ]
    duration = timeline[-1].t_s if timeline else 0.0

    warnings = []
    if requests == 0:
        warnings.append("no requests were made: there is nothing to judge")
    unexplained = failed - sum(by_cause.values())
    if unexplained > 0:
        warnings.append(f"{unexplained} failures have no recorded cause")
    return LoadSummary(
        requests=requests,
        failures=failed,
        rps=total.rps,
        error_ratio=failed / requests if requests else 0.0,
        errors_by_cause=errors,
        latency_ms=Latency.of(total),
        started_at=start,
        duration_s=duration,
        max_users=max((p.users for p in timeline), default=0),
        endpoints=list(stats.endpoints),
        timeline=timeline,
        trustworthy=requests > 0,
        warnings=warnings,
    )
