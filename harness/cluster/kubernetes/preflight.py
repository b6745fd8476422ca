"""Before a run on a cluster: is the sample system there, and is every workload available?

The manifests in `deploy/kubernetes/` are the single source of truth: every Deployment (and
Argo Rollout) they declare must exist in the namespace and have all its replicas ready. The
in-cluster Locust is not required: `harness run` drives the load from this machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.cluster.kubernetes.cluster import KubeCluster
from harness.contracts.cluster import DeploymentStatus
from harness.errors import ConfigError, CouldNotRun
from harness.manifests import read_manifests

WORKLOAD_KINDS = ("Deployment", "Rollout")
NOT_REQUIRED_APPS = frozenset({"locust"})  # the harness runs its own load generator


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    file: str


def required_workloads(manifests: Path) -> list[Workload]:
    """Every Deployment/Rollout the manifests declare, except the load generator's."""
    if not manifests.is_dir():
        raise ConfigError(str(manifests), "", "no such folder", "set HARNESS_MANIFESTS")
    out: list[Workload] = []
    for doc in read_manifests([manifests]):
        if doc.body.get("kind") not in WORKLOAD_KINDS:
            continue
        meta = doc.body.get("metadata") or {}
        labels = meta.get("labels") or {}
        if labels.get("app") in NOT_REQUIRED_APPS:
            continue
        out.append(Workload(doc.kind, str(meta.get("name", "")), doc.file))
    return out


def _ready(status: DeploymentStatus) -> str:
    return f"{status.name} ({status.ready_replicas}/{status.replicas} ready)"


def preflight(cluster: KubeCluster, manifests: Path) -> list[DeploymentStatus]:
    """The required workloads' statuses; CouldNotRun naming every one missing or unavailable."""
    required = required_workloads(manifests)
    cluster.check_namespace()
    have = {d.name: d for d in cluster.deployments()}
    missing = [w.name for w in required if w.name not in have]
    unavailable = [have[w.name] for w in required if w.name in have and not have[w.name].available]
    if missing or unavailable:
        parts = []
        if missing:
            parts.append("missing: " + ", ".join(missing))
        if unavailable:
            parts.append("not available: " + ", ".join(_ready(s) for s in unavailable))
        ns = cluster.namespace
        raise CouldNotRun(
            f"the sample system is not ready in namespace {ns} of "
            f"{cluster.target.describe()}: {'; '.join(parts)} (deploy it with "
            f"`kubectl apply -n {ns} -f {manifests}` and wait for `kubectl -n {ns} rollout "
            "status deployment`)"
        )
    return [have[w.name] for w in required]
