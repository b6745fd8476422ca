"""The cluster interface and the records it answers with: pods, endpoints, deployments.

Two targets implement `Cluster`: `local` (processes on this machine, through the controller's
admin API client `harness.cluster.local.client.AdminClient`) and `kubernetes` (a real cluster,
`harness.cluster.kubernetes.KubeCluster`). Chaos actions, the orchestrator and the mesh speak
only these types, so the same code serves either target or a test double.

The records cross process boundaries (admin API, the mesh), so each one has a plain
`to_json` / `from_json` pair; the field names of the JSON are a contract (docs/architecture.md,
"Local target").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, Protocol

from harness.contracts.listeners import ServiceListener


class PodPhase(StrEnum):
    """What `harness status` shows in its phase column (kubectl's STATUS vocabulary)."""

    PENDING = "Pending"
    RUNNING = "Running"
    CRASH_LOOP = "CrashLoopBackOff"
    TERMINATING = "Terminating"
    FAILED = "Failed"


@dataclass(frozen=True)
class PodStatus:
    """One pod as the controller sees it right now."""

    name: str
    namespace: str
    deployment: str
    service: str  # the `app` label
    version: str
    phase: PodPhase
    ready: bool
    restarts: int
    pid: int | None
    port: int
    created_at: float  # unix time
    labels: dict[str, str] = field(default_factory=dict)
    service_account: str = ""
    ports: dict[str, int] = field(default_factory=dict)  # container port name/number -> local

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "namespace": self.namespace,
            "deployment": self.deployment,
            "service": self.service,
            "version": self.version,
            "phase": str(self.phase),
            "ready": self.ready,
            "restarts": self.restarts,
            "pid": self.pid,
            "port": self.port,
            "createdAt": self.created_at,
            "labels": dict(self.labels),
            "serviceAccount": self.service_account,
            "ports": dict(self.ports),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PodStatus:
        return cls(
            name=str(data["name"]),
            namespace=str(data.get("namespace", "default")),
            deployment=str(data.get("deployment", "")),
            service=str(data["service"]),
            version=str(data["version"]),
            phase=PodPhase(data["phase"]),
            ready=bool(data["ready"]),
            restarts=int(data["restarts"]),
            pid=int(data["pid"]) if data.get("pid") is not None else None,
            port=int(data["port"]),
            created_at=float(data.get("createdAt", 0.0)),
            labels={str(k): str(v) for k, v in dict(data.get("labels", {})).items()},
            service_account=str(data.get("serviceAccount", "")),
            ports={str(k): int(v) for k, v in dict(data.get("ports", {})).items()},
        )


@dataclass(frozen=True)
class Endpoint:
    """One pod behind one Service. `ready` False means: present but not receiving traffic.

    Frozen and hashable. The mesh routes on these, so the hot-path reads are cheap: `key` is
    computed once, and `workload` (the Deployment behind the pod, Istio's
    `destination_workload`) travels as a field instead of being guessed from the pod name.
    """

    service: str
    pod: str
    ip: str
    port: int
    ready: bool
    # left out of the hash (a dict has none) but not of equality: the record stays hashable
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)
    service_account: str = "default"  # Kubernetes' own default for a pod that names none
    workload: str = ""

    @cached_property
    def key(self) -> str:
        """`ip:port`: what the mesh keys connection counters and outlier ejections on."""
        return f"{self.ip}:{self.port}"

    def label(self, name: str, default: str = "unknown") -> str:
        return self.labels.get(name, default)

    def has_labels(self, wanted: Mapping[str, str]) -> bool:
        """True when every wanted label is set to its value (a subset or policy selector)."""
        return all(self.labels.get(k) == v for k, v in wanted.items())

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "pod": self.pod,
            "ip": self.ip,
            "port": self.port,
            "ready": self.ready,
            "labels": dict(self.labels),
            "serviceAccount": self.service_account,
            "workload": self.workload,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Endpoint:
        """`service`, `ip` and `port` are required; a hand-written endpoints file (the mesh's
        `--endpoints-file`) may leave out the rest: ready, default account, workload = service.
        """
        service = str(data["service"])
        return cls(
            service=service,
            pod=str(data.get("pod", "")),
            ip=str(data["ip"]),
            port=int(data["port"]),
            ready=bool(data.get("ready", True)),
            labels={str(k): str(v) for k, v in dict(data.get("labels") or {}).items()},
            service_account=str(data.get("serviceAccount", "default")),
            workload=str(data.get("workload") or service),
        )


@dataclass(frozen=True)
class DeploymentStatus:
    """Desired against ready replicas; `available` is what `harness up` waits for."""

    name: str
    namespace: str
    replicas: int
    ready_replicas: int

    @property
    def available(self) -> bool:
        return self.ready_replicas >= self.replicas

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "namespace": self.namespace,
            "replicas": self.replicas,
            "readyReplicas": self.ready_replicas,
            "available": self.available,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeploymentStatus:
        return cls(
            name=str(data["name"]),
            namespace=str(data.get("namespace", "default")),
            replicas=int(data["replicas"]),
            ready_replicas=int(data["readyReplicas"]),
        )


class Cluster(Protocol):
    """A running cluster, seen through the operations chaos, rollouts and the mesh need."""

    def pods(self, *, service: str | None = None) -> list[PodStatus]:
        """Every pod, or only the pods whose `app` label is `service`."""
        ...

    def delete_pod(
        self, name: str, *, grace_period: float | None = None, wait: bool = True
    ) -> PodStatus:
        """Delete like `kubectl delete pod`: None = the pod's own grace period, 0 = forced.

        With `wait` it returns once the pod is gone (its replacement may still be starting).
        """
        ...

    def scale(self, deployment: str, replicas: int) -> DeploymentStatus:
        """Set the desired replicas of a Deployment."""
        ...

    def deployments(self) -> list[DeploymentStatus]:
        """Desired and ready replicas of every Deployment."""
        ...

    def endpoints(self, *, service: str | None = None) -> list[Endpoint]:
        """Pods behind each Service, ready or not."""
        ...

    def listeners(self) -> list[ServiceListener]:
        """The per-Service listener plan (where each Service port is served)."""
        ...

    def close(self) -> None:
        """Release the connection to the cluster."""
        ...
