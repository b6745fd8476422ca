"""The fault ledger: every fault is written here *before* it is applied, with its expiry.

The ledger is a small JSON file in the state folder (`<state>/chaos/ledger.json`), guarded by
an advisory lock so that a run, `harness chaos faults` and `harness chaos cleanup` can share it.
It is what makes "nothing is left behind" checkable after a crash: a record that is neither
removed nor expired names a fault that may still be active, and how to undo it.

Statuses: `recorded` (written, apply in progress or failed half-way), `applied` (read back
after injection), `removed`. Expiry is derived from `expires_at`, never stored.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from harness.errors import CouldNotRun

DEFAULT_TTL_SECONDS = 300.0


class FaultStatus(StrEnum):
    RECORDED = "recorded"
    APPLIED = "applied"
    REMOVED = "removed"


@dataclass(frozen=True)
class Undo:
    """A Python call that removes a fault: `module.func(**arguments)`, safe to call twice."""

    module: str
    func: str
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FaultRecord:
    fault_id: str
    kind: str  # delay, abort, pod-kill, ... (free text shown to people)
    target: str  # what the fault hits, e.g. the virtual service name
    spec: Mapping[str, Any]
    created_at: float
    expires_at: float
    status: FaultStatus = FaultStatus.RECORDED
    mesh: bool = False  # removed through FaultControl.remove(fault_id)
    undo: Undo | None = None
    note: str = ""

    def expired(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.expires_at

    def active(self, now: float | None = None) -> bool:
        """Possibly still in force: not removed and not past its expiry."""
        return self.status is not FaultStatus.REMOVED and not self.expired(now)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultRecord:
        undo = data.get("undo")
        return cls(
            fault_id=str(data["fault_id"]),
            kind=str(data["kind"]),
            target=str(data["target"]),
            spec=dict(data.get("spec") or {}),
            created_at=float(data["created_at"]),
            expires_at=float(data["expires_at"]),
            status=FaultStatus(data.get("status", "recorded")),
            mesh=bool(data.get("mesh", False)),
            undo=Undo(undo["module"], undo["func"], dict(undo.get("arguments") or {}))
            if undo
            else None,
            note=str(data.get("note", "")),
        )


def new_fault_id(kind: str) -> str:
    return f"chaos-{kind}-{uuid.uuid4().hex[:10]}"


class FaultLedger:
    """File-backed ledger; each call opens, locks, reads and (atomically) rewrites the file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def in_state_dir(cls, state_dir: Path, target: str = "local") -> FaultLedger:
        """The local target's ledger, or `ledger-<target>.json` for another target."""
        name = "ledger.json" if target == "local" else f"ledger-{target}.json"
        return cls(state_dir / "chaos" / name)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[list[FaultRecord]]:
        """Hold the lock; yield the records; write them back when the block ends normally."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = open(self.path.with_suffix(".lock"), "a+")  # noqa: SIM115  (closed below)
        except OSError as exc:
            raise CouldNotRun(f"cannot open the fault ledger {self.path}: {exc}") from exc
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            records = self._read()
            before = [r.to_json() for r in records]
            yield records
            if [r.to_json() for r in records] != before:
                self._write(records)
        finally:
            lock.close()  # closing releases the flock

    def _read(self) -> list[FaultRecord]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise CouldNotRun(f"fault ledger {self.path} is unreadable: {exc}") from exc
        return [FaultRecord.from_json(item) for item in raw.get("faults", [])]

    def _write(self, records: list[FaultRecord]) -> None:
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        payload = {"version": 1, "faults": [r.to_json() for r in records]}
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True), encoding="utf-8")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())  # the record must survive a SIGKILL right after apply
        os.replace(tmp, self.path)

    def record(
        self,
        *,
        kind: str,
        target: str,
        spec: Mapping[str, Any],
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        mesh: bool = False,
        undo: Undo | None = None,
        fault_id: str | None = None,
    ) -> FaultRecord:
        """Write a fault down before it is applied; returns the record (status `recorded`)."""
        now = time.time()
        entry = FaultRecord(
            fault_id=fault_id or new_fault_id(kind),
            kind=kind,
            target=target,
            spec=dict(spec),
            created_at=now,
            expires_at=now + ttl_seconds,
            mesh=mesh,
            undo=undo,
        )
        with self._locked() as records:
            records[:] = [r for r in records if r.fault_id != entry.fault_id] + [entry]
        return entry

    def mark(self, fault_id: str, status: FaultStatus, note: str = "") -> None:
        with self._locked() as records:
            for i, item in enumerate(records):
                if item.fault_id == fault_id:
                    records[i] = replace(item, status=status, note=note or item.note)

    def records(self) -> list[FaultRecord]:
        with self._locked() as records:
            return list(records)

    def active(self, now: float | None = None) -> list[FaultRecord]:
        return [r for r in self.records() if r.active(now)]

    def outstanding(self) -> list[FaultRecord]:
        """Not yet marked removed, expired or not: the ones a reset must still undo."""
        return [r for r in self.records() if r.status is not FaultStatus.REMOVED]

    def prune(self, keep_seconds: float = 86400.0) -> None:
        """Forget removed or expired records older than `keep_seconds`."""
        cutoff = time.time() - keep_seconds
        with self._locked() as records:
            records[:] = [
                r
                for r in records
                if r.created_at >= cutoff
                or (r.status is not FaultStatus.REMOVED and not r.expired())
            ]
