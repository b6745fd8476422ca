"""Test doubles for the chaos protocols, shipped as public API (structlog's `testing` habit).

They keep the promises of `PodControl` and `FaultControl` in memory, expiry included, so the
real activity code paths (ledger, read-back, reset) run unchanged in tests. Each can be told
to misbehave the way real systems do: a fault that silently does not take, a pod that does
not die.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from harness.chaos.protocols import DeploymentStatus, Endpoint, FaultSpec, PodInfo


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
class MemoryPodControl:
    """An in-memory cluster: deleted pods are replaced (new uid) unless `undying` is set."""

    pods: list[PodInfo] = field(default_factory=list)
    undying: bool = False
    deleted: list[str] = field(default_factory=list)
    _counter: int = 0

    def add(self, name: str, labels: dict[str, str], namespace: str = "default") -> PodInfo:
        self._counter += 1
        pod = PodInfo(
            name,
            namespace,
            labels,
            "Running",
            True,
            f"uid-{self._counter}",
            started_at=float(self._counter),
        )
        self.pods.append(pod)
        return pod

    def list_pods(self, namespace: str, label_selector: str | None = None) -> list[PodInfo]:
        from harness.chaos.local.selectors import selector_matches

        return [
            p
            for p in self.pods
            if p.namespace == namespace and selector_matches(label_selector, p.labels)
        ]

    def delete_pod(self, namespace: str, name: str, grace_period_seconds: int | None) -> None:
        self.deleted.append(name)
        if self.undying:
            return
        for i, pod in enumerate(self.pods):
            if pod.name == name and pod.namespace == namespace:
                self._counter += 1
                self.pods[i] = replace(
                    pod, uid=f"uid-{self._counter}", started_at=float(self._counter)
                )

    def scale(self, namespace: str, deployment: str, replicas: int) -> None:
        raise NotImplementedError("MemoryPodControl does not scale")

    def deployment_status(self, namespace: str, name: str) -> DeploymentStatus | None:
        pods = [p for p in self.pods if p.namespace == namespace and p.labels.get("app") == name]
        if not pods:
            return None
        ready = sum(1 for p in pods if p.ready and p.phase == "Running")
        return DeploymentStatus(name, namespace, len(pods), ready, ready)

    def endpoints(self, namespace: str, service: str) -> list[Endpoint]:
        return []
