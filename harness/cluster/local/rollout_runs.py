"""The analysis runs of the local Rollouts: `harness.analysis` live against the stack's Prometheus.

The same evaluator as `harness analyze` (template loading, `prepare_checked`, `run_live`), one
thread per run, so a slow query never blocks the controller loop. A run Argo terminates (an
abort, a promotion that makes it moot) is stopped and then terminated, which makes it Successful
unless a metric already went bad, as `spec.terminate` does on a cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.analysis import AnalysisPhase, AnalysisRunState, run_live
from harness.analysis.loader import load_template, prepare_checked
from harness.analysis.render import to_json
from harness.errors import ConfigError, HarnessError
from harness.manifests import read_manifests
from harness.rollout import AnalysisRef, RunKind, RunStatus


def find_template(manifests: Path, name: str, namespace: str) -> Path:
    """The file holding AnalysisTemplate `name` (one per file, as `harness analyze` reads them)."""
    for doc in read_manifests([manifests], refuse_non_mappings=True):
        meta = doc.body.get("metadata") or {}
        ns = str(meta.get("namespace") or "default")
        if (
            doc.body.get("kind") == "AnalysisTemplate"
            and meta.get("name") == name
            and ns == namespace
        ):
            return Path(doc.file)
    raise ConfigError(str(manifests), f"AnalysisTemplate {name}", "not found in the manifests")


@dataclass
class LocalRun:
    """One AnalysisRun of a Rollout, measured by a thread."""

    name: str
    kind: RunKind
    template: str
    args: dict[str, str]
    state: AnalysisRunState | None
    started_at: float = field(default_factory=time.time)
    ended_at: float | None = None
    notes: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    task: asyncio.Future[None] | None = None
    error: str = ""

    @property
    def phase(self) -> AnalysisPhase:
        if self.error:
            return AnalysisPhase.ERROR
        return self.state.phase if self.state is not None else AnalysisPhase.PENDING

    @property
    def message(self) -> str:
        if self.error:
            return self.error
        return self.state.message if self.state is not None else ""

    def status(self) -> RunStatus:
        return RunStatus(self.name, self.kind, self.phase, self.message)

    def to_json(self) -> dict[str, Any]:
        detail = to_json(self.state, self.notes) if self.state is not None else {}
        return {
            "name": self.name,
            "kind": str(self.kind),
            "template": self.template,
            "args": dict(self.args),
            "phase": str(self.phase),
            "message": self.message,
            "startedAt": self.started_at,
            "endedAt": self.ended_at,
            "metrics": detail.get("metrics", []),
            "notes": list(self.notes),
        }


def start_run(
    run: RunStatus,
    ref: AnalysisRef,
    *,
    manifests: Path,
    namespace: str,
    prometheus: str,
    time_scale: float,
) -> LocalRun:
    """Prepare the run and start measuring it; a template problem is an Error run (Argo's too)."""
    args = dict(ref.args)
    local = LocalRun(run.name, run.kind, ",".join(ref.templates), args, None)
    try:
        if len(ref.templates) != 1:
            raise ConfigError("", "templates", "the local target runs one template per analysis")
        path = find_template(manifests, ref.templates[0], namespace)
        template = load_template(path)
        prepared = prepare_checked(template, args, str(path))
    except HarnessError as exc:
        local.error = str(exc)
        local.ended_at = time.time()
        return local
    local.state = AnalysisRunState(prepared, time_scale=time_scale)
    local.task = asyncio.ensure_future(asyncio.to_thread(_drive, local, prometheus))
    return local


def _drive(run: LocalRun, prometheus: str) -> None:
    assert run.state is not None
    from harness.prometheus.client import Clients

    source = Clients()
    try:
        left = run_live(run.state, source, prometheus=prometheus, stop=run.stop)
        if run.stop.is_set() and not run.state.phase.completed:
            run.state.terminate(time.time())  # spec.terminate: what Argo does to a moot run
        elif left:
            run.notes.append("unfinished: " + ", ".join(left))
    except Exception as exc:  # a crashed thread must leave a reason, never a silent Running
        run.error = f"analysis crashed: {type(exc).__name__}: {exc}"
    finally:
        run.ended_at = time.time()
        source.close()


async def stop_run(run: LocalRun) -> None:
    run.stop.set()
    if run.task is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(run.task), 35.0)
