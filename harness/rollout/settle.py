"""Reconcile passes until nothing changes, as Argo re-reconciles on every status change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from harness.analysis.phase import AnalysisPhase
from harness.rollout.bluegreen import reconcile
from harness.rollout.records import Decision, ReplicaSet, Rollout
from harness.rollout.status import RolloutStatus, RunStatus

P = AnalysisPhase


def settle(
    rollout: Rollout,
    status: RolloutStatus,
    replica_sets: Mapping[str, ReplicaSet],
    runs: Mapping[str, RunStatus],
    now: float,
    *,
    passes: int = 6,
) -> list[Decision]:
    """Passes until nothing changes, each seeing the previous one's results applied."""
    rss = dict(replica_sets)
    known = dict(runs)
    out: list[Decision] = []
    for _ in range(passes):
        d = reconcile(rollout, status, rss, known, now)
        out.append(d)
        if d.create is not None:
            rss[d.create.hash] = d.create
        for h, n in d.replicas.items():
            rs = rss[h]
            rss[h] = replace(rs, replicas=n, available=min(rs.available, n))
        for h, at in d.scale_down_at.items():
            rss[h] = replace(rss[h], scale_down_at=at)
        for r in d.start_runs:
            known[r.name] = r
        for name in d.terminate_runs:
            r = known[name]
            if not r.phase.completed:
                known[name] = replace(r, phase=P.SUCCESSFUL)
        if not d.changed and d.status == status:
            break
        status = d.status
    return out
