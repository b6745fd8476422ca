"""Connect the chaos protocols to the local stack in a state folder."""

from __future__ import annotations

from pathlib import Path

from harness.chaos.protocols import FaultControl, PodControl
from harness.errors import HarnessError


def connect_local(state_dir: Path) -> tuple[PodControl | None, FaultControl | None]:
    """PodControl (None when no stack runs) and FaultControl for the stack in `state_dir`.

    Faults go through the mesh's ledger file, so they can be listed and cleared even while the
    stack is down (then none is in force anyway).
    """
    from harness.chaos.local.adapters import AdminPods, MeshLedgerFaults
    from harness.cluster.local.client import AdminClient

    try:
        pods: PodControl | None = AdminPods(AdminClient.from_state(state_dir))
    except HarnessError:  # no stack, or a stale controller record: no pods to act on
        pods = None
    return pods, MeshLedgerFaults(state_dir)
