"""The one reader of Locust's CSV files (`locust --csv PREFIX`), into `harness.contracts.locust`.

Cells Locust leaves empty or writes as `N/A` (a percentile without requests) read as None, and
so do values that are not finite numbers. A missing or unreadable file is `CouldNotJudge`.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from harness.contracts.locust import (
    AGGREGATED,
    ClientHistory,
    ClientRow,
    EndpointStats,
    FailureCount,
    LocustStats,
)
from harness.errors import CouldNotJudge


def stats_file(prefix: Path, kind: str) -> Path:
    """`PREFIX_<kind>.csv`: kind is `stats`, `stats_history` or `failures`."""
    return prefix.with_name(f"{prefix.name}_{kind}.csv")


def _num(text: str | None) -> float | None:
    if text is None or text.strip() in ("", "N/A"):
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _count(text: str | None) -> int:
    return int(_num(text) or 0)


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise CouldNotJudge(f"{path}: Locust did not write this file (see locust.log next to it)")
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CouldNotJudge(f"{path}: unreadable CSV ({exc})") from exc


def read_history(prefix: Path) -> ClientHistory:
    """The Aggregated rows of `PREFIX_stats_history.csv`, oldest first."""
    rows = []
    for row in _rows(stats_file(prefix, "stats_history")):
        if row.get("Name") != AGGREGATED:
            continue
        t = _num(row.get("Timestamp"))
        if t is None:
            continue
        rows.append(
            ClientRow(
                t=t,
                users=_count(row.get("User Count")),
                requests=_num(row.get("Total Request Count")) or 0.0,
                failures=_num(row.get("Total Failure Count")) or 0.0,
                rps=_num(row.get("Requests/s")) or 0.0,
                p95_ms=_num(row.get("95%")),
                failures_per_s=_num(row.get("Failures/s")) or 0.0,
            )
        )
    rows.sort(key=lambda r: r.t)
    return ClientHistory(tuple(rows))


def _endpoint(row: dict[str, str]) -> EndpointStats:
    return EndpointStats(
        method=row.get("Type") or "",
        name=row.get("Name") or "",
        requests=_count(row.get("Request Count")),
        failures=_count(row.get("Failure Count")),
        rps=_num(row.get("Requests/s")) or 0.0,
        median_ms=_num(row.get("Median Response Time")),
        average_ms=_num(row.get("Average Response Time")),
        p50_ms=_num(row.get("50%")),
        p95_ms=_num(row.get("95%")),
        p99_ms=_num(row.get("99%")),
        max_ms=_num(row.get("Max Response Time")),
    )


def read_stats(prefix: Path) -> LocustStats:
    """`PREFIX_stats.csv`: the Aggregated total and every endpoint, in Locust's order."""
    total = None
    endpoints = []
    for row in _rows(stats_file(prefix, "stats")):
        if row.get("Name") == AGGREGATED:
            total = _endpoint(row)
        else:
            endpoints.append(_endpoint(row))
    return LocustStats(total=total, endpoints=tuple(endpoints))


def read_failures(prefix: Path) -> tuple[FailureCount, ...]:
    """`PREFIX_failures.csv`: one record per distinct failure text."""
    return tuple(
        FailureCount(
            method=row.get("Method") or "",
            name=row.get("Name") or "",
            error=row.get("Error") or "",
            occurrences=_count(row.get("Occurrences")),
        )
        for row in _rows(stats_file(prefix, "failures"))
    )


__all__ = ["read_failures", "read_history", "read_stats", "stats_file"]
