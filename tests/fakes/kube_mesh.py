"""FAKE Kubernetes API, part 3: Istio's part of a VirtualService patch, played by the local mesh.

On a cluster, istiod pushes a patched VirtualService's `fault` blocks to the sidecars. Here the
fake API server writes them into the local stack's mesh fault ledger (`harness.mesh.faults`) and
waits until the mesh proxy enforces them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def mirror_faults(state: Path, virtual_service: str, body: dict[str, Any]) -> tuple[int, bool]:
    """The VirtualService's `fault` blocks as the local mesh's run-time faults, in force.

    Returns how many faults the mesh now holds for it, and whether the proxy enforces them."""
    from harness.chaos.local.faults import parse_duration_ms
    from harness.mesh import faults as mesh

    ledger, label = mesh.ledger_path(state), f"fake-kube-api/{virtual_service}"
    for old in mesh.active(ledger):
        if old.label == label:
            mesh.remove(ledger, old.id)
    now, count = time.time(), 0
    for i, http in enumerate((body.get("spec") or {}).get("http") or []):
        fault = http.get("fault") or {}
        delay, abort = fault.get("delay") or {}, fault.get("abort") or {}
        for j, route in enumerate(http.get("route") or [] if fault else []):
            dest = route.get("destination") or {}
            mesh.record(
                ledger,
                mesh.Fault(
                    id=f"vs-{virtual_service}-{i}-{j}",
                    service=str(dest["host"]),
                    subset=dest.get("subset"),
                    created_at=now,
                    expires_at=now + 600,
                    delay_ms=parse_duration_ms(delay["fixedDelay"]) if delay else 0,
                    delay_percent=float((delay.get("percentage") or {}).get("value", 0)),
                    abort_status=int(abort.get("httpStatus", 0)),
                    abort_percent=float((abort.get("percentage") or {}).get("value", 0)),
                    label=label,
                ),
            )
            count += 1
    return count, mesh.wait_applied(ledger, 5.0)
