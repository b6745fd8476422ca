"""The run context local activities reach: ledger, cluster and fault control, validity.

Chaos Toolkit calls activity functions with their experiment arguments only, so the runner
binds one `ChaosContext` for the run and activities find it with `current()`. Run outside the
runner (plain `chaos run` on a harness module), `current()` connects to the local stack named
by `HARNESS_STATE_DIR` on first use.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.chaos.ledger import DEFAULT_TTL_SECONDS, FaultLedger, FaultRecord, FaultStatus, Undo
from harness.contracts.cluster import Cluster
from harness.contracts.faults import FaultControl
from harness.errors import CouldNotRun

logger = logging.getLogger("harness.chaos")

# How a run reaches its target: the cluster (None: no stack) and the mesh's fault control.
Connector = Callable[[Path], tuple[Cluster | None, FaultControl | None]]


def default_state_dir() -> Path:
    return Path(os.environ.get("HARNESS_STATE_DIR", ".harness"))


@dataclass
class ChaosContext:
    """Everything one run shares with its activities. Not thread-safe by design: one run."""

    state_dir: Path
    ledger: FaultLedger
    connector: Connector | None = None
    fault_ttl_seconds: float = DEFAULT_TTL_SECONDS
    invalid: list[str] = field(default_factory=list)
    _cluster: Cluster | None = None
    _faults: FaultControl | None = None
    _connected: bool = False

    @classmethod
    def for_state_dir(
        cls,
        state_dir: Path,
        *,
        cluster: Cluster | None = None,
        faults: FaultControl | None = None,
        connector: Connector | None = None,
        fault_ttl_seconds: float = DEFAULT_TTL_SECONDS,
    ) -> ChaosContext:
        ctx = cls(
            state_dir=state_dir,
            ledger=FaultLedger.in_state_dir(state_dir),
            connector=connector,
            fault_ttl_seconds=fault_ttl_seconds,
        )
        ctx._cluster, ctx._faults = cluster, faults
        ctx._connected = cluster is not None or faults is not None
        return ctx

    def _connect(self) -> None:
        if self._connected:
            return
        self._connected = True
        if self.connector is None:
            from harness.chaos.connect import connect_local

            self.connector = connect_local
        self._cluster, self._faults = self.connector(self.state_dir)

    def cluster(self) -> Cluster:
        self._connect()
        if self._cluster is None:
            raise CouldNotRun(f"no local cluster to act on in {self.state_dir} (run `harness up`)")
        return self._cluster

    def faults(self) -> FaultControl:
        self._connect()
        if self._faults is None:
            raise CouldNotRun(f"no mesh fault API in {self.state_dir} (run `harness up`)")
        return self._faults

    def faults_if_connected(self) -> FaultControl | None:
        """The fault control, connecting if needed; None when there is no mesh to reach."""
        try:
            self._connect()
        except CouldNotRun:
            return None
        return self._faults

    def faults_for_reset(self) -> FaultControl | None:
        """The mesh to clear at the end: when the run touched it or the ledger names mesh faults."""
        if self._connected or any(r.mesh for r in self.ledger.outstanding()):
            return self.faults_if_connected()
        return None

    def close(self) -> None:
        """Release connections (the admin API client keeps a pool)."""
        if self._cluster is not None:
            self._cluster.close()

    def invalidate(self, reason: str) -> None:
        """A fault did not take, or could not be checked: the run can no longer pass."""
        logger.error("run invalid: %s", reason)
        self.invalid.append(reason)


_current: ChaosContext | None = None


@contextlib.contextmanager
def bound(ctx: ChaosContext) -> Iterator[ChaosContext]:
    global _current
    previous, _current = _current, ctx
    try:
        yield ctx
    finally:
        _current = previous


def current() -> ChaosContext:
    global _current
    if _current is None:
        _current = ChaosContext.for_state_dir(default_state_dir())
    return _current


# Public helpers for any Python activity that injects a fault of its own.


def record_fault(
    *,
    kind: str,
    target: str,
    spec: Mapping[str, Any],
    undo: Undo | None = None,
    mesh: bool = False,
    fault_id: str | None = None,
) -> FaultRecord:
    """Write a fault into the ledger before applying it (with the run's expiry)."""
    ctx = current()
    return ctx.ledger.record(
        kind=kind,
        target=target,
        spec=spec,
        ttl_seconds=ctx.fault_ttl_seconds,
        mesh=mesh,
        undo=undo,
        fault_id=fault_id,
    )


def mark_applied(fault_id: str) -> None:
    current().ledger.mark(fault_id, FaultStatus.APPLIED)


def mark_removed(*, kind: str | None = None, target: str | None = None) -> list[FaultRecord]:
    """Mark every outstanding fault of `kind` on `target` removed; returns those records."""
    ledger = current().ledger
    hits = [
        r
        for r in ledger.outstanding()
        if (kind is None or r.kind == kind) and (target is None or r.target == target)
    ]
    for rec in hits:
        ledger.mark(rec.fault_id, FaultStatus.REMOVED)
    return hits
