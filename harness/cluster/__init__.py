"""The cluster interface: what chaos actions, the mesh and `harness run` may ask of a target.

Two targets implement it: `local` (processes on this machine, `harness.cluster.local`, through
its admin API client) and `kubernetes` (a real cluster through the Kubernetes API,
`harness.cluster.kubernetes.KubeCluster`). Both answer with the records of
`harness.cluster.model`.
"""

from __future__ import annotations

from typing import Protocol

from harness.cluster.model import (
    DeploymentStatus,
    Endpoint,
    PodPhase,
    PodStatus,
    ServiceListener,
)

__all__ = [
    "Cluster",
    "DeploymentStatus",
    "Endpoint",
    "PodPhase",
    "PodStatus",
    "ServiceListener",
]


class Cluster(Protocol):
    """A running cluster, seen through the operations chaos and rollouts need."""

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
