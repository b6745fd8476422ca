"""The two edges chaos code depends on: pods (the cluster) and faults (the mesh).

Local activity providers and the runner talk to these protocols only, so the same code path
serves the local cluster's admin API, a test double, or anything else that keeps the promises
written on each method. Values crossing the edge are frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class PodInfo:
    """One pod as the cluster reports it (Kubernetes vocabulary)."""

    name: str
    namespace: str
    labels: Mapping[str, str]
    phase: str  # Pending, Running, Succeeded, Failed, Unknown
    ready: bool
    uid: str  # changes when the pod is replaced, so a kill can be read back
    started_at: float = 0.0  # unix seconds; orders pods for `order="oldest"`


@dataclass(frozen=True)
class DeploymentStatus:
    """Replica counts of one Deployment."""

    name: str
    namespace: str
    replicas: int  # desired
    ready_replicas: int
    available_replicas: int


@dataclass(frozen=True)
class Endpoint:
    """One ready address behind a Service."""

    host: str
    port: int
    pod: str = ""


@runtime_checkable
class PodControl(Protocol):
    """What chaos code needs from a cluster. Implementations raise `CouldNotRun` on I/O errors."""

    def list_pods(self, namespace: str, label_selector: str | None = None) -> list[PodInfo]:
        """Pods in `namespace` matching a Kubernetes label selector (None: every pod)."""
        ...

    def delete_pod(self, namespace: str, name: str, grace_period_seconds: int | None) -> None:
        """Delete one pod: None = its own grace period, 0 = forced (SIGKILL). Idempotent."""
        ...

    def scale(self, namespace: str, deployment: str, replicas: int) -> None:
        """Set the desired replica count of a Deployment."""
        ...

    def deployment_status(self, namespace: str, name: str) -> DeploymentStatus | None:
        """Replica counts of a Deployment, or None when it does not exist."""
        ...

    def endpoints(self, namespace: str, service: str) -> list[Endpoint]:
        """Ready addresses behind a Service (empty when none is ready)."""
        ...


@dataclass(frozen=True)
class FaultSpec:
    """One HTTP fault on a mesh route: Istio `HTTPFaultInjection` plus an expiry.

    `percentage` is Istio's `percentage.value` (0-100); a delay or abort without it never fires
    in Istio, so callers always set it. `expires_at` (unix seconds) is enforced by the mesh
    itself: the fault vanishes even when the harness that injected it is killed.
    """

    fault_id: str
    virtual_service: str
    hosts: tuple[str, ...]
    expires_at: float
    percentage: float = 100.0
    delay_ms: int | None = None
    abort_status: int | None = None
    subsets: tuple[str, ...] = field(default_factory=tuple)
    # (host, subset) pairs exactly as the experiment's `routes` name them (subset None: none);
    # the rules of the VirtualService whose `route` names one of them carry the fault.
    destinations: tuple[tuple[str, str | None], ...] = field(default_factory=tuple)
    namespace: str = ""

    @property
    def kind(self) -> str:
        """`delay`, `abort`, or `delay+abort`."""
        parts = [k for k, v in (("delay", self.delay_ms), ("abort", self.abort_status)) if v]
        return "+".join(parts)


@runtime_checkable
class FaultControl(Protocol):
    """What chaos code needs from the mesh. Every method is idempotent."""

    def apply(self, fault: FaultSpec) -> None:
        """Install (or replace, same `fault_id`) a fault; it must expire at `expires_at`.

        Raises `FaultDidNotTake` when the mesh refuses it as a cluster run would end: no such
        VirtualService, or no rule of it routes to one of `destinations`."""
        ...

    def remove(self, fault_id: str) -> None:
        """Remove one fault; removing a fault that is not there is not an error."""
        ...

    def active(self) -> list[FaultSpec]:
        """Faults the data plane enforces right now (expired ones excluded): the read-back."""
        ...

    def clear(self) -> None:
        """Remove every fault: the full reset that ends every run."""
        ...
