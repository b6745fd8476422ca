"""The analysis runs of a blue-green update: when a new one is due, its name, its events."""

from __future__ import annotations

from collections.abc import Set

from harness.analysis.phase import AnalysisPhase
from harness.rollout.status import PauseReason, RolloutStatus, RunKind, RunStatus


def needs_new_run(old: RolloutStatus, current: RunStatus | None) -> bool:
    """`needsNewAnalysisRun`: none yet, a person resumed an inconclusive run, or a retry."""
    if current is None:
        return True
    if old.controller_pause and old.pause(PauseReason.BLUE_GREEN_PAUSE) is None:
        return current.phase is AnalysisPhase.INCONCLUSIVE
    return old.aborted_at is not None


def run_name(rollout: str, pod_hash: str, revision: int, kind: RunKind, taken: Set[str]) -> str:
    """`<rollout>-<hash>-<revision>-pre|post`, with `.N` appended when that name is taken."""
    base = f"{rollout}-{pod_hash}-{revision}-{kind.infix}"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}.{n}"
    return name


def run_events(before: RunStatus | None, now: RunStatus | None) -> list[str]:
    """`emitAnalysisRunStatusChanges`: one event per phase change of the current run."""
    if now is None:
        return []
    if before is not None and before.name != now.name:
        before = None
    if before is not None and before.phase is now.phase:
        return []
    previous = str(before.phase) if before is not None else "NoPreviousStatus"
    return [
        f"{now.kind} Analysis Run '{now.name}' Status New: '{now.phase}' Previous: '{previous}'"
    ]
