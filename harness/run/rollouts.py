"""The Rollout a release scenario expects something of: read at the end of the run, judged later.

`collect_rollouts` asks the target for the Rollout named in `expect.rollout` (the admin API's
Rollout document, `harness.contracts.rollouts.RolloutControl`) and turns it into a
`RolloutRecord`: the events since the run started, the revision the run rolled out (the last
ReplicaSet created in it), what became of that revision, and its analysis runs.

What became of it (`outcome`), read from Argo's own events:
  aborted      "Rollout aborted update to revision N", and the active Service never selected it
  rolled-back  aborted after the active Service had selected it (post-promotion analysis)
  promoted     "Rollout completed update to revision N", post-promotion analysis Successful,
               and no other revision has pods left (the scale-down delay passed)
  in-progress  none of these yet; none: no new revision in the run; unknown: not readable
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.report.rollouts import (
    RolloutAnalysisRun,
    RolloutEvent,
    RolloutMeasurement,
    RolloutMetric,
    RolloutRecord,
    RolloutRevision,
)
from harness.scenario.model import HarnessExtension, RolloutExpectation

_CREATED = re.compile(r"^Created ReplicaSet (?P<rs>\S+) \(revision (?P<revision>\d+)\)$")


def collect_rollouts(
    ext: HarnessExtension, *, target: str, state: Path, since: float
) -> list[RolloutRecord]:
    """The expected Rollout's record (none when the scenario expects nothing of a Rollout)."""
    wanted = ext.expect.rollout
    if wanted is None:
        return []
    if target != "local":
        return [_unknown(wanted, f"reading Rollouts on --target {target} is not supported yet")]
    from harness.cluster.local.client import AdminClient

    try:
        with AdminClient.from_state(state) as client:
            doc = client.rollout(wanted.name)
    except HarnessError as exc:
        return [_unknown(wanted, f"could not read the Rollout: {exc}")]
    return [record_of(doc, wanted, since)]


def _unknown(wanted: RolloutExpectation, why: str) -> RolloutRecord:
    return RolloutRecord(
        name=wanted.name,
        namespace=wanted.namespace,
        expected=wanted.outcome,
        outcome="unknown",
        detail=why,
    )


def _run(doc: Mapping[str, Any]) -> RolloutAnalysisRun:
    return RolloutAnalysisRun(
        name=str(doc.get("name", "")),
        kind=str(doc.get("kind", "")),
        template=str(doc.get("template", "")),
        phase=str(doc.get("phase", "")),
        message=str(doc.get("message", "") or ""),
        start=doc.get("startedAt"),
        end=doc.get("endedAt"),
        metrics=tuple(
            RolloutMetric(
                name=str(m.get("name", "")),
                phase=str(m.get("phase", "")),
                message=str(m.get("message", "") or ""),
                measurements=tuple(
                    RolloutMeasurement(
                        time=x.get("time", ""),
                        value=x.get("value"),
                        phase=str(x.get("phase", "")),
                        message=str(x.get("message", "") or ""),
                    )
                    for x in m.get("measurements", ())
                ),
            )
            for m in doc.get("metrics", ())
        ),
    )


def record_of(doc: Mapping[str, Any], wanted: RolloutExpectation, since: float) -> RolloutRecord:
    """The record of one Rollout document (pure: the admin API's JSON in, the record out)."""
    name = str(doc.get("name", wanted.name))
    events = tuple(
        RolloutEvent(time=float(e["time"]), message=str(e["message"]))
        for e in doc.get("events", ())
        if float(e.get("time", 0.0)) >= since
    )
    revisions = tuple(
        RolloutRevision(
            revision=int(r.get("revision", 0)),
            pod_template_hash=str(r.get("podTemplateHash", "")),
            version=str(r.get("version", "") or ""),
            replicas=int(r.get("replicas", 0) or 0),
            ready=int(r.get("ready", 0) or 0),
            active=bool(r.get("active")),
            preview=bool(r.get("preview")),
            stable=bool(r.get("stable")),
        )
        for r in doc.get("revisions", ())
    )
    base = RolloutRecord(
        name=name,
        namespace=str(doc.get("namespace", wanted.namespace)),
        expected=wanted.outcome,
        outcome="none",
        detail="no new revision was rolled out during the run",
        phase=str(doc.get("phase", "")),
        message=str(doc.get("message", "") or ""),
        events=events,
        revisions=revisions,
    )
    created = [m for e in events if (m := _CREATED.match(e.message))]
    if not created:
        return base
    revision = int(created[-1]["revision"])
    pod_hash = created[-1]["rs"].removeprefix(f"{name}-")
    runs = tuple(
        _run(r)
        for r in doc.get("analysisRuns", ())
        if str(r.get("name", "")).startswith(f"{name}-{pod_hash}-{revision}-")
    )
    outcome, detail = _outcome(doc, events, runs, revision, pod_hash, revisions)
    return base.model_copy(
        update={"outcome": outcome, "detail": detail, "revision": revision, "analysis_runs": runs}
    )


def _outcome(
    doc: Mapping[str, Any],
    events: tuple[RolloutEvent, ...],
    runs: tuple[RolloutAnalysisRun, ...],
    revision: int,
    pod_hash: str,
    revisions: tuple[RolloutRevision, ...],
) -> tuple[str, str]:
    active = str(doc.get("activeService", ""))
    switched = next(
        (e for e in events if e.message == f"Service {active} selects "
         f"rollouts-pod-template-hash={pod_hash}"),
        None,
    )  # fmt: skip
    # "Rollout aborted update to revision 2: <why>", and never revision 20
    abort_message = f"Rollout aborted update to revision {revision}"
    aborted = next((e for e in events if e.message.partition(":")[0] == abort_message), None)
    completed = any(
        e.message.startswith(f"Rollout completed update to revision {revision} ({pod_hash})")
        for e in events
    )
    pre = [r for r in runs if r.kind == "PrePromotion"]
    post = [r for r in runs if r.kind == "PostPromotion"]
    if aborted is not None and switched is None:
        why = f" by its pre-promotion analysis ({pre[-1].phase})" if pre else ""
        return "aborted", (
            f"revision {revision} ({pod_hash}) was aborted{why} and the active Service "
            f"{active} never selected it: {aborted.message}"
        )
    if aborted is not None:
        return "rolled-back", (
            f"revision {revision} was aborted after the active Service {active} had selected "
            f"it, so callers met it: {aborted.message}"
        )
    if completed:
        left = [r for r in revisions if r.pod_template_hash != pod_hash and (r.replicas or r.ready)]
        post_phase = post[-1].phase if post else "none configured"
        if post and post[-1].phase != "Successful":
            return (
                "in-progress",
                f"revision {revision} is stable but post-promotion is {post_phase}",
            )
        if left:
            pods = ", ".join(f"revision {r.revision}: {r.ready} ready" for r in left)
            return "in-progress", (
                f"revision {revision} was promoted, but the old pods were still up ({pods})"
            )
        pre_phase = pre[-1].phase if pre else "none configured"
        return "promoted", (
            f"revision {revision} ({pod_hash}) was promoted after analysis (pre-promotion "
            f"{pre_phase}, post-promotion {post_phase}) and the old pods are gone"
        )
    return "in-progress", (
        f"revision {revision} is neither promoted nor aborted: {doc.get('phase')} "
        f"{doc.get('message') or ''}".rstrip()
    )
