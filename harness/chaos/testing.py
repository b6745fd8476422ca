"""Test doubles for the edges chaos acts on, shipped as public API (structlog's `testing` habit).

They keep the promises of `Cluster` and `FaultControl` (harness.contracts) in memory, expiry
included, so the real activity code paths (ledger, read-back, reset) run unchanged in tests.
Each can be told to misbehave the way real systems do: a fault that silently does not take, a
pod that does not die.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from harness.contracts.cluster import DeploymentStatus, Endpoint, PodPhase, PodStatus
from harness.contracts.faults import FaultSpec
from harness.contracts.listeners import ServiceListener
from harness.errors import BadInput


@dataclass
class MemoryFaultControl:
    """An in-memory mesh: faults vanish at `expires_at`; `drop_applies` swallows every apply."""

    drop_applies: bool = False
    faults: dict[str, FaultSpec] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def apply(self, fault: FaultSpec) -> None:
        self.calls.append(f"apply {fault.fault_id}")
        if not self.drop_applies:
            self.faults[fault.fault_id] = fault

    def remove(self, fault_id: str) -> None:
        self.calls.append(f"remove {fault_id}")
        self.faults.pop(fault_id, None)

    def active(self) -> list[FaultSpec]:
        now = time.time()
        return [f for f in self.faults.values() if f.expires_at > now]

    def clear(self) -> None:
        self.calls.append("clear")
        self.faults.clear()


@dataclass
class MemoryCluster:
    """An in-memory cluster (`Cluster`): deleted pods are replaced (new creation time and
    process, so a new uid for the read-back) unless `undying` is set."""

    records: list[PodStatus] = field(default_factory=list)
    undying: bool = False
    deleted: list[str] = field(default_factory=list)
    _counter: int = 0

    def add(self, name: str, labels: dict[str, str], namespace: str = "default") -> PodStatus:
        self._counter += 1
        pod = PodStatus(
            name=name,
            namespace=namespace,
            deployment=labels.get("app", name),
            service=labels.get("app", name),
            version=labels.get("version", ""),
            phase=PodPhase.RUNNING,
            ready=True,
            restarts=0,
            pid=self._counter,
            port=0,
            created_at=float(self._counter),
            labels=labels,
        )
        self.records.append(pod)
        return pod

    def pods(self, *, service: str | None = None) -> list[PodStatus]:
        return [p for p in self.records if service is None or p.service == service]

    def delete_pod(
        self, name: str, *, grace_period: float | None = None, wait: bool = True
    ) -> PodStatus:
        self.deleted.append(name)
        for i, pod in enumerate(self.records):
            if pod.name == name:
                if not self.undying:
                    self._counter += 1
                    self.records[i] = replace(
                        pod, pid=self._counter, created_at=float(self._counter)
                    )
                return pod
        raise BadInput(f"pod {name!r} not found")

    def scale(self, deployment: str, replicas: int) -> DeploymentStatus:
        raise NotImplementedError("MemoryCluster does not scale")

    def deployments(self) -> list[DeploymentStatus]:
        by: dict[tuple[str, str], list[PodStatus]] = {}
        for p in self.records:
            by.setdefault((p.namespace, p.deployment), []).append(p)
        return [
            DeploymentStatus(name, ns, len(pods), sum(1 for p in pods if p.ready))
            for (ns, name), pods in sorted(by.items())
        ]

    def endpoints(self, *, service: str | None = None) -> list[Endpoint]:
        return []

    def listeners(self) -> list[ServiceListener]:
        return []

    def close(self) -> None:
        pass
