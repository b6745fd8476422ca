"""Shared wording for the rendered views: times, values, verdict marks, SLO grids."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from harness.report.model import Report
from harness.scenario.model import JUDGED_PHASES, Phase
from harness.slo.model import RunVerdict, SloVerdict, Verdict

MARK = {Verdict.PASSED: "✅", Verdict.FAILED: "❌", Verdict.INCONCLUSIVE: "❔"}
RUN_MARK = {
    RunVerdict.PASSED: "✅",
    RunVerdict.FAILED: "❌",
    RunVerdict.INCONCLUSIVE: "❔",
    RunVerdict.ABORTED: "⛔",
    RunVerdict.INTERRUPTED: "⏹️",
}


def when(t: float | None) -> str:
    if t is None:
        return "-"
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def num(v: float | None, unit: str = "") -> str:
    if v is None:
        return "-"
    if math.isnan(v):
        return "NaN"
    text = f"{v:.4g}"
    return f"{text} {unit}".strip()


def secs(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}s"


def budget(v: float | None) -> str:
    if v is None:
        return "-"
    return "∞" if math.isinf(v) else f"{v * 100:.0f}%"


def grid(report: Report) -> list[tuple[str, str, dict[Phase, SloVerdict]]]:
    """(SLO name, objective text, verdict per phase) in scenario order."""
    rows = []
    for slo in report.scenario.harness.slos:
        cells = {v.phase: v for v in report.verdicts if v.slo == slo.name}
        sign = "≥" if slo.wants.value == "at-least" else "≤"
        rows.append((slo.name, f"{sign} {num(slo.objective, slo.unit)}", cells))
    return rows


PHASE_COLUMNS = JUDGED_PHASES
