"""Connect a run to the local stack in a state folder: its cluster and its mesh's faults.

The default `Connector` of `ChaosContext`; the imports are inside the function so that
importing `harness.chaos` never loads the cluster client or the mesh.
"""

from __future__ import annotations

from pathlib import Path

from harness.contracts.cluster import Cluster
from harness.contracts.faults import FaultControl
from harness.errors import HarnessError


def connect_local(state_dir: Path) -> tuple[Cluster | None, FaultControl | None]:
    """The cluster (None when no stack runs) and the mesh's FaultControl for `state_dir`.

    Faults go through the mesh's ledger file, so they can be listed and cleared even while the
    stack is down (then none is in force anyway).
    """
    from harness.cluster.local.client import AdminClient
    from harness.mesh.fault_control import MeshFaults

    try:
        cluster: Cluster | None = AdminClient.from_state(state_dir)
    except HarnessError:  # no stack, or a stale controller record: no pods to act on
        cluster = None
    return cluster, MeshFaults(state_dir)
