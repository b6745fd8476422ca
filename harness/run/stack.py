"""The stack a scenario runs against: found running, or brought up (and later down) for the run.

`--target local`: the local stack in the state folder, started now when none runs (and taken
down again at the end unless kept). `--target kubernetes`: a cluster that is already running
(`kube_stack.py`); the run checks it but never brings it up or down.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import BadInput, CouldNotRun

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


def check_target(target: str, kube: KubeOptions | None = None) -> None:
    """Bad input before anything starts: the target's name, and its addresses when a cluster."""
    if target not in TARGETS:
        raise BadInput(f"--target: unknown target {target!r} (use local or kubernetes)")
    if target == "kubernetes":
        from harness.cluster.kubernetes import resolve_target
        from harness.run.kube_stack import addresses

        options = kube or KubeOptions()
        addresses(options)
        resolve_target(
            kubeconfig=options.kubeconfig, context=options.context, namespace=options.namespace
        )


def ensure_stack(
    target: str, state: Path, root: Path, *, kube: KubeOptions | None = None
) -> StackHandle:
    """The stack of `target`: the local one (found or started), or the cluster (checked)."""
    check_target(target, kube)
    if target == "kubernetes":
        from harness.run.kube_stack import ensure_cluster

        return ensure_cluster(kube or KubeOptions(), state, root)
    return ensure_local_stack(state, root)


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise BadInput(f"{name}: {value!r} is not a port number") from None


def ensure_local_stack(state: Path, root: Path, *, timeout: float = 90.0) -> StackHandle:
    """The local stack in `state`: the running one, else one started now (like `harness up`,
    with the same HARNESS_* port and folder overrides)."""
    from harness.cluster.local.launcher import down, up
    from harness.cluster.local.stack import StackOptions

    options = StackOptions(
        state=state,
        manifests=Path(os.environ.get("HARNESS_MANIFESTS") or root / "deploy" / "kubernetes"),
        local_config=Path(os.environ.get("HARNESS_LOCAL_CONFIG") or root / "deploy" / "local"),
        admin_port=_env_int("HARNESS_ADMIN_PORT"),
        prometheus_port=_env_int("HARNESS_PROMETHEUS_PORT"),
        gateway_port=_env_int("HARNESS_GATEWAY_PORT"),
        mesh_admin_port=_env_int("HARNESS_MESH_ADMIN_PORT"),
        pod_ports=os.environ.get("HARNESS_POD_PORTS") or None,
        service_ports=os.environ.get("HARNESS_SERVICE_PORTS") or None,
    )
    result = up(options, timeout=timeout)
    gateway, prometheus = result.status.get("gateway"), result.status.get("prometheus")
    if not gateway or not prometheus:
        if not result.already_running:
            down(state)
        missing = "gateway" if not gateway else "Prometheus"
        raise CouldNotRun(
            f"the stack in {state} runs without a {missing}; `harness run` needs both "
            "(restart it with `harness down` then `harness up`)"
        )
    return StackHandle(state, str(gateway), str(prometheus), not result.already_running)


def take_down(handle: StackHandle) -> None:
    if handle.target != "local" or not handle.started:
        return  # a cluster is never brought up or down by a run
    from harness.cluster.local.launcher import down

    down(handle.state)
