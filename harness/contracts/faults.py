"""The mesh fault contract: what chaos code asks of a mesh, and what it hands over.

Chaos activities (`harness.chaos.local.faults`) speak `FaultControl` with `FaultSpec` records;
the local mesh implements it (`harness.mesh.fault_control.MeshFaults`, over the proxy's fault
API and ledger) and `harness.chaos.testing.MemoryFaultControl` keeps the same promises in
memory. `FaultDidNotTake` is the one refusal both sides raise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from harness.errors import CouldNotRun


class FaultDidNotTake(CouldNotRun):
    """Raised when an injected fault cannot be read back: the run is invalid, never passed."""


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
