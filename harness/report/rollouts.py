"""The Argo Rollout a release scenario drove: its timeline, its analyses, and what was expected.

`RolloutRecord` is what report.json keeps (`rollouts[]`): the revision the run rolled out, what
became of it (`outcome`: aborted, promoted, rolled-back, in-progress, none, unknown) and why,
the Rollout's events inside the run, and that revision's analysis runs with every measurement.
`rollout_findings` joins the scenario's `expect: {rollout: ...}` to the verdict, as
`hypothesis.chaos_findings` joins the experiment's. The render helpers give summary.md and
report.html their "Rollout" section.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from pydantic import BaseModel, ConfigDict, JsonValue

from harness.scenario.model import HarnessExtension

OUTCOMES = ("aborted", "promoted", "rolled-back", "in-progress", "none", "unknown")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")


class RolloutEvent(_Model):
    time: float
    message: str


class RolloutMeasurement(_Model):
    time: float | str
    value: JsonValue = None
    phase: str
    message: str = ""


class RolloutMetric(_Model):
    name: str
    phase: str
    message: str = ""
    measurements: tuple[RolloutMeasurement, ...] = ()


class RolloutAnalysisRun(_Model):
    """One AnalysisRun the Rollout created (`<rollout>-<hash>-<revision>-pre|post`)."""

    name: str
    kind: str  # PrePromotion, PostPromotion
    template: str
    phase: str
    message: str = ""
    start: float | None = None
    end: float | None = None
    metrics: tuple[RolloutMetric, ...] = ()


class RolloutRevision(_Model):
    """One revision as the run ended: its pods and which Services select it."""

    revision: int
    pod_template_hash: str
    version: str = ""
    replicas: int = 0
    ready: int = 0
    active: bool = False
    preview: bool = False
    stable: bool = False


class RolloutRecord(_Model):
    name: str
    namespace: str = "default"
    expected: str | None = None  # the scenario's expect.rollout.outcome
    outcome: str  # one of OUTCOMES
    detail: str = ""  # why that outcome, in words
    revision: int | None = None  # the revision the run rolled out
    phase: str = ""  # the Rollout's phase and message when the run ended
    message: str = ""
    events: tuple[RolloutEvent, ...] = ()
    analysis_runs: tuple[RolloutAnalysisRun, ...] = ()
    revisions: tuple[RolloutRevision, ...] = ()


def rollout_findings(
    ext: HarnessExtension, records: Sequence[RolloutRecord]
) -> tuple[list[str], list[str]]:
    """(failed, unjudged): the expectation not met fails the run; not observed, it is unjudged."""
    wanted = ext.expect.rollout
    if wanted is None:
        return [], []
    record = next(
        (r for r in records if (r.name, r.namespace) == (wanted.name, wanted.namespace)), None
    )
    label = f"rollout {wanted.name}: expected {wanted.outcome}"
    if record is None or record.outcome == "unknown":
        why = record.detail if record is not None else "not observed in this run"
        return [], [f"{label}, could not tell: {why}"]
    if record.outcome != wanted.outcome:
        return [f"{label}, got {record.outcome}: {record.detail}"], []
    return [], []


def _rel(t: float, t0: float) -> str:
    return f"+{t - t0:.1f}s"


def _values(run: RolloutAnalysisRun) -> str:
    parts = []
    for m in run.metrics:
        shown = ", ".join(f"{x.value} {x.phase}" for x in m.measurements) or "no measurement"
        parts.append(f"{m.name} {m.phase}: {shown}")
    return "; ".join(parts) or "-"


def _headline(r: RolloutRecord) -> str:
    expected = f", expected {r.expected}" if r.expected else ""
    return f"Rollout {r.name}: {r.outcome}{expected}. {r.detail}".strip()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_lines(records: Sequence[RolloutRecord], t0: float) -> list[str]:
    """summary.md's "Rollout" section (empty when the run drove no Rollout)."""
    lines: list[str] = []
    for r in records:
        lines += ["", "### Rollout", "", _cell(_headline(r)), ""]
        lines += ["| time | event |", "|---|---|"]
        lines += [f"| {_rel(e.time, t0)} | {_cell(e.message)} |" for e in r.events]
        if r.analysis_runs:
            lines += ["", "| analysis run | phase | measurements |", "|---|---|---|"]
            for a in r.analysis_runs:
                lines.append(f"| {a.name} | {a.phase} | {_cell(_values(a))} |")
    return lines


def html_parts(records: Sequence[RolloutRecord], t0: float) -> list[str]:
    """report.html's "Rollout" section: the timeline and each analysis run's measurements."""
    out: list[str] = []
    for r in records:
        ok = r.expected is None or r.expected == r.outcome
        mark = "passed" if ok else "failed"
        out.append("<h2>Rollout</h2>")
        out.append(
            f"<p><span class='mark {mark}'>{mark}</span>{escape(_headline(r))}</p>"
            if r.expected
            else f"<p>{escape(_headline(r))}</p>"
        )
        rows = "".join(
            f"<tr><td>{escape(_rel(e.time, t0))}</td><td>{escape(e.message)}</td></tr>"
            for e in r.events
        )
        out.append(
            f"<table><thead><tr><th>time</th><th>event</th></tr></thead><tbody>{rows}</tbody>"
            "</table>"
        )
        for a in r.analysis_runs:
            out.append(
                f"<p><code>{escape(a.name)}</code> ({escape(a.kind)}, {escape(a.template)}): "
                f"<strong>{escape(a.phase)}</strong> {escape(a.message)}</p>"
            )
            body = "".join(
                f"<tr><td>{escape(m.name)}</td><td>{escape(m.phase)}</td><td>"
                + escape("; ".join(f"{x.value}→{x.phase}" for x in m.measurements) or "-")
                + "</td></tr>"
                for m in a.metrics
            )
            out.append(
                "<table><thead><tr><th>metric</th><th>phase</th><th>measurements</th></tr>"
                f"</thead><tbody>{body}</tbody></table>"
            )
    return out
