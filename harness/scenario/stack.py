"""The stack a scenario runs against: found running, or brought up (and later down) for the run.

Only the local target has an implementation of the cluster interface today; `--target
kubernetes` is refused with one line instead of pretending.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from harness.errors import BadInput, CouldNotRun

TARGETS = ("local", "kubernetes")


@dataclass(frozen=True)
class StackHandle:
    """Where the running stack answers, and whether this run started it."""

    state: Path
    gateway: str
    prometheus: str
    started: bool


def check_target(target: str) -> None:
    if target not in TARGETS:
        raise BadInput(f"--target: unknown target {target!r} (use local or kubernetes)")
    if target == "kubernetes":
        raise CouldNotRun(
            "--target kubernetes: not available for `harness run` yet (no Kubernetes "
            "implementation of the cluster interface in harness/cluster/); use --target local"
        )


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
    from harness.cluster.local.launcher import down

    down(handle.state)
