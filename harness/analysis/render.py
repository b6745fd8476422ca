"""Rendering an AnalysisRunState as text lines or the `--json` document."""

from __future__ import annotations

from datetime import UTC, datetime

from harness.analysis.phase import AnalysisPhase
from harness.analysis.state import AnalysisRunState, Measurement
from harness.errors import ExitCode


def rfc3339(ts: float) -> str:
    """UTC RFC 3339 with `Z`; milliseconds only when the instant has them."""
    moment = datetime.fromtimestamp(ts, tz=UTC)
    spec = "milliseconds" if moment.microsecond else "seconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")


def measurement_json(m: Measurement) -> dict[str, object]:
    out: dict[str, object] = {
        "time": rfc3339(m.finished_at),
        "value": m.value,
        "phase": str(m.phase),
    }
    if m.message:
        out["message"] = m.message
    return out


def to_json(state: AnalysisRunState, notes: list[str]) -> dict[str, object]:
    metrics = []
    for metric in state.metrics:
        result = state.results.get(metric.name)
        metrics.append(
            {
                "name": metric.name,
                "phase": str(result.phase if result else AnalysisPhase.PENDING),
                "message": result.message if result else "",
                "dryRun": metric.name in state.dry_run,
                "count": result.count if result else 0,
                "measurements": [
                    measurement_json(m) for m in (result.measurements if result else [])
                ],
            }
        )
    return {"phase": str(state.phase), "message": state.message, "notes": notes, "metrics": metrics}


def measurement_line(name: str, m: Measurement) -> str:
    value = m.value or "-"
    line = f"  {rfc3339(m.finished_at)}  {name}  {value}  {m.phase}"
    return f"{line}  ({m.message})" if m.message else line


def summary_lines(state: AnalysisRunState, notes: list[str]) -> list[str]:
    lines = []
    for metric in state.metrics:
        result = state.results.get(metric.name)
        phase = result.phase if result else AnalysisPhase.PENDING
        dry = " (dry run)" if metric.name in state.dry_run else ""
        count = result.count if result else 0
        errors = result.error if result else 0
        line = f"metric {metric.name}{dry}: {phase} ({count} counted, {errors} errors)"
        if result and result.message:
            line += f": {result.message}"
        lines.append(line)
    lines.extend(f"note: {n}" for n in notes)
    verdict = f"run: {state.phase}"
    if state.message:
        verdict += f": {state.message}"
    lines.append(verdict)
    return lines


def exit_code(phase: AnalysisPhase) -> ExitCode:
    """0 Successful, 1 Failed, 3 Error, Inconclusive or not finished (could not judge)."""
    if phase == AnalysisPhase.SUCCESSFUL:
        return ExitCode.PASSED
    if phase == AnalysisPhase.FAILED:
        return ExitCode.FAILED
    return ExitCode.COULD_NOT_JUDGE
