"""The stack a scenario runs against: found running, or brought up (and later down) for the run.

`--target local`: the local stack in the state folder, started now when none runs (and taken
down again at the end unless kept). `--target kubernetes`: a cluster that is already running
(`kube_stack.py`); the run checks it but never brings it up or down.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import BadInput, CouldNotRun
from harness.run import kube_stack
from harness.run.target import TARGETS, KubeOptions, StackHandle


def check_target(target: str, kube: KubeOptions | None = None) -> None:
    """Bad input before anything starts: the target's name, and its addresses when a cluster."""
    if target not in TARGETS:
        raise BadInput(f"--target: unknown target {target!r} (use local or kubernetes)")
    if target == "kubernetes":
        from harness.cluster.kubernetes import resolve_target

        options = kube or KubeOptions()
        kube_stack.addresses(options)
        resolve_target(
            kubeconfig=options.kubeconfig, context=options.context, namespace=options.namespace
        )


def ensure_stack(
    target: str, state: Path, root: Path, *, kube: KubeOptions | None = None
) -> StackHandle:
    """The stack of `target`: the local one (found or started), or the cluster (checked)."""
    check_target(target, kube)
    if target == "kubernetes":
        return kube_stack.ensure_cluster(kube or KubeOptions(), state, root)
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
    from harness.cluster.local.state import StateDir
    from harness.run.infra import check_parts

    if StateDir(state).controller() is not None:
        check_parts(state)  # a part down in a running stack: say so now, not after `timeout`
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
