"""The per-phase load table of report.html and summary.md: what the client figures rest on."""

from __future__ import annotations

from harness.report.model import Report
from harness.report.text import num

HEADER = ("phase", "model", "requests", "seconds", "client SLOs rest on", "arrivals", "lag")


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}/s"


def load_rows(report: Report) -> list[tuple[str, ...]]:
    """One row of text cells per judged phase (empty for reports without load phases)."""
    rows: list[tuple[str, ...]] = []
    for p in report.load_phases:
        counts = "; ".join(
            f"{c.slo}: {c.requests}" + (f" ⚠ {c.warning}" if c.warning else "") for c in p.slos
        )
        arrivals = lag = "-"
        if p.model == "open":
            arrivals = f"asked {_rate(p.target_rate)}, sent {_rate(p.achieved_rate)}"
            lag = f"max {num(p.max_lag_ms, 'ms')}, p99 {num(p.p99_lag_ms, 'ms')}"
            if p.behind:
                lag += " ⚠ behind schedule"
        rows.append(
            (
                p.phase.value,
                str(p.model),
                str(p.requests),
                str(p.seconds),
                counts or "-",
                arrivals,
                lag,
            )
        )
    return rows


__all__ = ["HEADER", "load_rows"]
