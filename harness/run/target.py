"""What a run knows of its target: where the stack answers (`StackHandle`) and, for a cluster,
which one (`KubeOptions`). Records only: `stack.py` finds or starts the local stack and
`kube_stack.py` checks a cluster; both return a `StackHandle`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.cluster.kubernetes import KubeTarget
    from harness.contracts.cluster import Cluster

TARGETS = ("local", "kubernetes")


@dataclass(frozen=True)
class StackHandle:
    """Where the running stack answers, and whether this run started it."""

    state: Path
    gateway: str
    prometheus: str
    started: bool
    target: str = "local"
    secrets: frozenset[str] = field(default_factory=frozenset)  # values to redact
    namespace: str = "default"  # where the experiment's Kubernetes activities act
    where: str = ""  # kubernetes: namespace, context and kubeconfig, for the progress line
    kube: KubeTarget | None = None  # kubernetes: the cluster

    def open_cluster(self) -> Cluster:
        """The target's cluster interface (pods, deployments, endpoints); close it after use.

        Local: the controller's admin API. Kubernetes: the API server of `kube`.
        """
        if self.kube is not None:
            from harness.cluster.kubernetes import KubeCluster

            return KubeCluster(self.kube)
        from harness.cluster.local.client import AdminClient

        return AdminClient.from_state(self.state)


@dataclass(frozen=True)
class KubeOptions:
    """`--target kubernetes`: which cluster, and where its gateway and Prometheus answer."""

    kubeconfig: Path | None = None  # else $KUBECONFIG, else ~/.kube/config
    context: str | None = None  # else the kubeconfig's current context
    namespace: str | None = None  # else the context's namespace, else default
    gateway: str | None = None  # else $HARNESS_GATEWAY_URL
    prometheus: str | None = None  # else $HARNESS_PROMETHEUS_URL
    allowed_hosts: tuple[str, ...] = ()  # non-loopback hosts the addresses may name
