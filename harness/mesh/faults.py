"""Run-time faults: the ledger file they are written to before they apply, and their model.

The ledger (`<state>/mesh/faults.json`) is the single record: the proxy's fault API writes a
fault there first and only then applies it; the proxy re-reads the file when it changes, so a
restarted proxy and the chaos code (which may write the file directly, under the same lock) see
the same faults. Every fault carries an expiry and vanishes on its own after it.

Two kinds of fault (semantics: docs/parity.md "Istio faults"):
* a VirtualService fault (`virtual_service` + `routes`), what chaosistio's `add_*_fault` does on
  a cluster: it sits on every HTTP rule of that VirtualService whose `route` names one of the
  (host, subset) destinations (exact equality, as chaosistio's `set_fault` compares), and hits
  every request that rule takes, whichever destination the weighted pick then chooses. The
  proxy refuses one that names no VirtualService it has, or whose routes no rule carries.
* a destination fault (`service`, optional `source`/`subset`): a harness-only debugging aid on
  one destination service (+ subset) after the weighted pick; chaos experiments never use it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from harness.errors import BadInput
from harness.mesh import istio_model as im
from harness.mesh.routing import FaultSpec

MAX_TTL_S = 24 * 3600


@dataclass(frozen=True)
class Fault:
    """One injected fault: on a VirtualService's rules carrying `routes`, or on `service`."""

    id: str
    service: str  # "" for a VirtualService fault
    expires_at: float
    created_at: float
    virtual_service: str = ""
    routes: tuple[tuple[str, str | None], ...] = ()  # (host, subset) destinations
    source: str | None = None
    subset: str | None = None
    delay_ms: int = 0
    delay_percent: float = 0.0
    abort_status: int = 0
    abort_percent: float = 0.0
    label: str = ""

    def spec(self) -> FaultSpec:
        return FaultSpec(
            self.delay_ms / 1000.0,
            self.delay_percent / 100.0,
            self.abort_status,
            self.abort_percent / 100.0,
        )


class _Delay(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fixed_delay_ms: int = Field(gt=0, le=600_000)
    percentage: float = Field(gt=0, le=100)


class _Abort(BaseModel):
    model_config = ConfigDict(extra="forbid")
    http_status: int = Field(ge=200, le=599)
    percentage: float = Field(gt=0, le=100)


class _Destination(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: str = Field(min_length=1)
    subset: str | None = None


class _Route(BaseModel):
    model_config = ConfigDict(extra="forbid")
    destination: _Destination


class FaultRequest(BaseModel):
    """Body of `POST /faults`: a percentage is required (no silent 0 % faults); either
    `virtual_service` + `routes` (chaosistio's fault) or `service` (a destination fault)."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")  # same id replaces
    virtual_service: str | None = Field(default=None, min_length=1)
    routes: list[_Route] | None = None
    namespace: str | None = None  # of the VirtualService; the proxy's namespace when absent
    service: str | None = Field(default=None, min_length=1)
    source: str | None = None
    subset: str | None = None
    delay: _Delay | None = None
    abort: _Abort | None = None
    ttl_seconds: float = Field(gt=0, le=MAX_TTL_S)
    label: str = ""

    @model_validator(mode="after")
    def _something(self) -> FaultRequest:
        if self.delay is None and self.abort is None:
            raise ValueError("a fault needs `delay` and/or `abort`")
        if (self.virtual_service is None) == (self.service is None):
            raise ValueError("name either `virtual_service` (with `routes`) or `service`")
        if self.virtual_service is not None and not self.routes:
            raise ValueError("`routes` must name at least one destination")
        if self.service is not None and self.routes:
            raise ValueError("`routes` goes with `virtual_service`, not `service`")
        return self

    def destinations(self) -> tuple[tuple[str, str | None], ...]:
        return tuple(
            dict.fromkeys((r.destination.host, r.destination.subset) for r in self.routes or [])
        )

    def to_fault(self, now: float) -> Fault:
        return Fault(
            id=self.id or secrets.token_hex(6),
            service=self.service or "",
            virtual_service=self.virtual_service or "",
            routes=self.destinations(),
            source=self.source,
            subset=self.subset,
            created_at=now,
            expires_at=now + self.ttl_seconds,
            delay_ms=self.delay.fixed_delay_ms if self.delay else 0,
            delay_percent=self.delay.percentage if self.delay else 0.0,
            abort_status=self.abort.http_status if self.abort else 0,
            abort_percent=self.abort.percentage if self.abort else 0.0,
            label=self.label,
        )


def parse_request(body: bytes) -> FaultRequest:
    try:
        return FaultRequest.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise BadInput(f"fault: {where}: {first['msg']}") from exc


def ledger_path(state_dir: Path) -> Path:
    return state_dir / "mesh" / "faults.json"


def admin_path(state_dir: Path) -> Path:
    """Where the running proxy says its admin API listens: {"port": ..., "pid": ...}."""
    return state_dir / "mesh" / "admin.json"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read(path: Path) -> list[Fault]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        return []  # a torn or foreign file applies nothing; the next write replaces it
    out = []
    for item in raw.get("faults", []):
        if isinstance(item, dict):
            routes = tuple((str(h), s) for h, s in item.pop("routes", []))
            out.append(Fault(**item, routes=routes))
    return out


# --- which rules a VirtualService fault sits on (chaosistio's set_fault) ----------------------


def rules_carrying(
    vs: im.VirtualService, routes: tuple[tuple[str, str | None], ...]
) -> frozenset[int]:
    """Indexes of `vs.spec.http` rules whose `route` names one of `routes` exactly: where
    chaosistio's `set_fault` writes the fault block (a subset of None only matches a
    destination without subset; hosts compare as written, no FQDN expansion)."""
    wanted = set(routes)
    return frozenset(
        i
        for i, rule in enumerate(vs.spec.http)
        if any((d.destination.host, d.destination.subset) in wanted for d in rule.route or [])
    )


def _dest(host: str, subset: str | None) -> str:
    return f"{host}/{subset}" if subset else host


def refusal(
    services: list[im.VirtualService],
    name: str,
    namespace: str,
    routes: tuple[tuple[str, str | None], ...],
) -> tuple[int, str] | None:
    """Why a VirtualService fault would not take, as (HTTP status, reason); None when it does.

    The same two ends as on a cluster: chaosistio fails on a missing VirtualService, and a
    patch that puts the fault on no rule is caught by the read-back (the run is invalid)."""
    vs = next((v for v in services if v.name == name and v.namespace == namespace), None)
    if vs is None:
        return 404, f"Virtual Service '{name}' does not exist in namespace {namespace}"
    if rules_carrying(vs, routes):
        return None
    dests = [d.destination for r in vs.spec.http for d in r.route or []]
    declared = sorted({_dest(d.host, d.subset) for d in dests})
    asked = ", ".join(_dest(h, s) for h, s in routes)
    return 422, (
        f"VirtualService {name}: no HTTP rule routes to {asked}, so the fault would sit on "
        f"no rule (chaosistio patches nothing); its rules route to {', '.join(declared)}"
    )


def _write(path: Path, faults: list[Fault]) -> None:
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps({"faults": [asdict(f) for f in faults]}, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def active(path: Path, now: float | None = None) -> list[Fault]:
    """Faults in the ledger that have not expired."""
    t = time.time() if now is None else now
    return [f for f in _read(path) if f.expires_at > t]


def record(path: Path, fault: Fault) -> None:
    """Write `fault` to the ledger (dropping expired entries); call before applying it."""
    with _locked(path):
        now = time.time()
        kept = [f for f in _read(path) if f.expires_at > now and f.id != fault.id]
        _write(path, [*kept, fault])


def remove(path: Path, fault_id: str) -> bool:
    """Remove one fault; False when it was not there (removal is idempotent)."""
    with _locked(path):
        now = time.time()
        faults = _read(path)
        kept = [f for f in faults if f.id != fault_id and f.expires_at > now]
        _write(path, kept)
        return any(f.id == fault_id for f in faults)


def clear(path: Path) -> int:
    """Remove every fault; returns how many were active."""
    with _locked(path):
        n = len(active(path))
        _write(path, [])
        return n


# --- the data plane's acknowledgement --------------------------------------------------------
# Writers change the ledger file; the proxy re-reads it every 0.2 s. After each reload it stamps
# the ledger version (mtime in ns) it now enforces, so a writer can wait until its change is in
# force instead of guessing a delay (a rollback is only done once the proxy stopped faulting).


def applied_path(ledger: Path) -> Path:
    return ledger.with_name("faults.applied")


def mark_applied(ledger: Path, version: int) -> None:
    stamp = applied_path(ledger)
    tmp = stamp.with_name(f".{stamp.name}.{os.getpid()}")
    tmp.write_text(str(version), encoding="utf-8")
    os.replace(tmp, stamp)


def wait_applied(ledger: Path, timeout: float) -> bool:
    """True once the proxy stamped a version at least as new as the ledger; False on timeout
    or when no proxy ever stamped this ledger (none running on this state folder)."""
    stamp = applied_path(ledger)
    if not stamp.exists():
        return False
    deadline = time.monotonic() + timeout
    while True:
        try:
            wanted = ledger.stat().st_mtime_ns
        except FileNotFoundError:
            wanted = 0
        try:
            if int(stamp.read_text(encoding="utf-8") or "0") >= wanted:
                return True
        except (OSError, ValueError):
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
