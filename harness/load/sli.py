"""Client-side SLIs from Locust's CSV files, computed with pandas.

Inputs (written by `locust --csv <out>/locust`): `locust_stats.csv` (totals and percentiles per
request name, plus an `Aggregated` row), `locust_stats_history.csv` (one `Aggregated` row per
second: users, requests/s, cumulative counts) and `locust_failures.csv` (one row per distinct
failure text). Output: a `LoadSummary`, the JSON `summary.json` of a run.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import CouldNotJudge
from harness.load.causes import classify

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


@dataclass(frozen=True)
class EndpointStats:
    method: str
    name: str
    requests: int
    failures: int
    rps: float
    latency_ms: Latency


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
    endpoints: list[EndpointStats]
    timeline: list[UserPoint]
    trustworthy: bool = True
    warnings: list[str] = field(default_factory=list)
    schema: str = SCHEMA

    def to_json(self, **context: Any) -> dict[str, Any]:
        """The summary as JSON-ready data, with `context` (host, shape, ...) merged on top."""
        return {**asdict(self), **context}


def _num(value: Any) -> float | None:
    """A CSV cell as a float; None for Locust's `N/A` and empty cells."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _latency(row: Any) -> Latency:
    return Latency(
        p50=_num(row.get("50%")),
        p95=_num(row.get("95%")),
        p99=_num(row.get("99%")),
        avg=_num(row.get("Average Response Time")),
        max=_num(row.get("Max Response Time")),
    )


def _read(path: Path) -> Any:
    import pandas as pd

    if not path.is_file():
        raise CouldNotJudge(f"{path}: Locust did not write this file (see locust.log next to it)")
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=["N/A", ""])
    except (ValueError, OSError) as exc:
        raise CouldNotJudge(f"{path}: unreadable CSV ({exc})") from exc


def summarize(prefix: Path) -> LoadSummary:
    """Read `<prefix>_stats.csv`, `_stats_history.csv` and `_failures.csv` into a summary."""
    stats = _read(prefix.with_name(prefix.name + "_stats.csv"))
    history = _read(prefix.with_name(prefix.name + "_stats_history.csv"))
    failures = _read(prefix.with_name(prefix.name + "_failures.csv"))

    total_rows = stats[stats["Name"] == "Aggregated"]
    if total_rows.empty:
        raise CouldNotJudge(f"{prefix}_stats.csv: no Aggregated row")
    total = total_rows.iloc[0]
    requests = int(total["Request Count"])
    failed = int(total["Failure Count"])

    by_cause: dict[str, int] = {}
    if not failures.empty:
        failures = failures.assign(cause=failures["Error"].astype(str).map(classify))
        by_cause = {
            str(k): int(v) for k, v in failures.groupby("cause")["Occurrences"].sum().items()
        }
    errors = {
        cause: CauseCount(count=n, ratio=n / requests if requests else 0.0)
        for cause, n in sorted(by_cause.items())
    }

    endpoints = [
        EndpointStats(
            method=str(row["Type"]),
            name=str(row["Name"]),
            requests=int(row["Request Count"]),
            failures=int(row["Failure Count"]),
            rps=float(_num(row["Requests/s"]) or 0.0),
            latency_ms=_latency(row),
        )
        for _, row in stats[stats["Name"] != "Aggregated"].iterrows()
    ]

    rows = history[history["Name"] == "Aggregated"]
    timeline: list[UserPoint] = []
    start = 0.0
    if not rows.empty:
        start = float(rows["Timestamp"].iloc[0])
        timeline = [
            UserPoint(
                t_s=float(r["Timestamp"]) - start,
                users=int(r["User Count"]),
                rps=float(_num(r["Requests/s"]) or 0.0),
                failures_per_s=float(_num(r["Failures/s"]) or 0.0),
            )
            for _, r in rows.iterrows()
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
        rps=float(_num(total["Requests/s"]) or 0.0),
        error_ratio=failed / requests if requests else 0.0,
        errors_by_cause=errors,
        latency_ms=_latency(total),
        started_at=start,
        duration_s=duration,
        max_users=max((p.users for p in timeline), default=0),
        endpoints=endpoints,
        timeline=timeline,
        trustworthy=requests > 0,
        warnings=warnings,
    )
