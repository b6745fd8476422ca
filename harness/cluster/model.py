"""The records every cluster target speaks: pods, endpoints, deployments, service listeners.

They cross process boundaries (admin API, chaos actions, the mesh), so each one has a plain
`to_json` / `from_json` pair and nothing else; the field names of the JSON are a contract
(docs/architecture.md, "Local target").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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
    """One pod behind one Service. `ready` False means: present but not receiving traffic."""

    service: str
    pod: str
    ip: str
    port: int
    ready: bool
    labels: dict[str, str] = field(default_factory=dict)
    service_account: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "pod": self.pod,
            "ip": self.ip,
            "port": self.port,
            "ready": self.ready,
            "labels": dict(self.labels),
            "serviceAccount": self.service_account,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Endpoint:
        return cls(
            service=str(data["service"]),
            pod=str(data["pod"]),
            ip=str(data["ip"]),
            port=int(data["port"]),
            ready=bool(data["ready"]),
            labels={str(k): str(v) for k, v in dict(data.get("labels", {})).items()},
            service_account=str(data.get("serviceAccount", "")),
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


@dataclass(frozen=True)
class ServiceListener:
    """One entry of the listener plan: a Service port and the loopback port that serves it.

    The mesh takes these listeners over: it binds `listen_port` and forwards to the ready
    endpoints of `service` (pods' `target_port` names are already resolved into each
    endpoint's `port`). With per-source listeners (mesh mode) each calling Deployment gets its
    own port per Service, so the proxy knows who calls (`source_*`); empty means shared.
    """

    service: str
    namespace: str
    port_name: str
    service_port: int  # the port in the Service manifest (8080)
    listen_port: int  # where it is reachable on 127.0.0.1
    target_port: str  # the Service's targetPort, number or name, as written
    source_workload: str = ""
    source_service_account: str = ""
    source_labels: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "namespace": self.namespace,
            "portName": self.port_name,
            "servicePort": self.service_port,
            "listenPort": self.listen_port,
            "targetPort": self.target_port,
            "sourceWorkload": self.source_workload,
            "sourceServiceAccount": self.source_service_account,
            "sourceLabels": dict(self.source_labels),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServiceListener:
        return cls(
            service=str(data["service"]),
            namespace=str(data.get("namespace", "default")),
            port_name=str(data.get("portName", "")),
            service_port=int(data["servicePort"]),
            listen_port=int(data["listenPort"]),
            target_port=str(data.get("targetPort", "")),
            source_workload=str(data.get("sourceWorkload", "")),
            source_service_account=str(data.get("sourceServiceAccount", "")),
            source_labels={str(k): str(v) for k, v in dict(data.get("sourceLabels", {})).items()},
        )
