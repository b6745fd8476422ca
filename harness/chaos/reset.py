"""The full fault reset that ends every run and is all `harness chaos cleanup` does.

Idempotent by construction: it works from the ledger (every outstanding record is undone and
marked removed) and then, when a mesh is reachable, clears every mesh fault and reads back that
none is left. Running it twice, or after rollbacks that already removed everything, is harmless.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass

from harness.chaos.ledger import FaultLedger, FaultRecord, FaultStatus
from harness.contracts.faults import FaultControl

logger = logging.getLogger("harness.chaos")


@dataclass(frozen=True)
class ResetReport:
    undone: tuple[str, ...] = ()  # fault ids removed by this reset
    failed: tuple[str, ...] = ()  # "id: reason" for records that could not be undone
    remaining: tuple[str, ...] = ()  # fault ids the mesh still enforces after clearing
    mesh_checked: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.remaining

    def summary(self) -> str:
        if self.ok:
            checked = "mesh read back empty" if self.mesh_checked else "no mesh to check"
            return f"fault reset: {len(self.undone)} removed, none left ({checked})"
        left = list(self.failed) + [f"{fid}: still active" for fid in self.remaining]
        return "fault reset incomplete: " + "; ".join(left)


def _undo(record: FaultRecord, faults: FaultControl | None) -> None:
    if record.undo is not None:
        func = getattr(importlib.import_module(record.undo.module), record.undo.func)
        func(**dict(record.undo.arguments))
    elif record.mesh:
        if faults is not None:
            faults.remove(record.fault_id)
        elif not record.expired():
            raise RuntimeError("mesh unreachable and the fault has not expired yet")


def reset_faults(ledger: FaultLedger, faults: FaultControl | None) -> ResetReport:
    """Undo every outstanding ledger record, then clear and read back the mesh."""
    undone: list[str] = []
    failed: list[str] = []
    for record in ledger.outstanding():
        try:
            _undo(record, faults)
        except Exception as exc:  # every record gets its chance; failures are reported
            reason = " ".join(str(exc).split()) or type(exc).__name__
            failed.append(f"{record.fault_id}: {reason}")
            logger.error("could not remove fault %s (%s): %s", record.fault_id, record.kind, reason)
            continue
        ledger.mark(record.fault_id, FaultStatus.REMOVED, note="reset")
        undone.append(record.fault_id)
    remaining: list[str] = []
    if faults is not None:
        try:
            faults.clear()
            remaining = [f.fault_id for f in faults.active()]
        except Exception as exc:  # report, never raise: the reset runs in `finally` blocks
            failed.append(f"mesh: {' '.join(str(exc).split())}")
    report = ResetReport(tuple(undone), tuple(failed), tuple(remaining), faults is not None)
    (logger.info if report.ok else logger.error)("%s", report.summary())
    return report
