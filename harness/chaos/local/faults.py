"""chaosistio fault actions, served by the local mesh (same names, arguments and defaults).

Each add writes the fault into the ledger first (with its expiry), applies it through
`FaultControl`, then reads it back: a fault the mesh does not report makes the run invalid.
As chaosistio's `set_fault` on a cluster, the fault goes on every HTTP rule of the
VirtualService whose `route` names one of the (host, subset) destinations, and hits all the
traffic that rule takes; the mesh refuses a VirtualService it does not have, or routes no rule
carries (on a cluster: "does not exist", or a patch the read-back finds on no rule), and the run
is invalid (exit 3).
Istio semantics kept on purpose (docs/parity.md, "Istio (mesh)", faults): a fault without
`percentage` never fires in Istio, so the local target refuses it instead of silently doing
nothing.
Each remove is idempotent: it removes ledger faults and any mesh fault of that kind on the
virtual service, then reads back that none is left.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from harness.chaos.context import current
from harness.chaos.ledger import FaultStatus, new_fault_id
from harness.contracts.durations import Dialect, NotADuration, split, total
from harness.contracts.faults import FaultDidNotTake, FaultSpec
from harness.errors import BadInput

DEFAULT_VERSION = "networking.istio.io/v1alpha3"
# chaosistio's `fixed_delay` is one part, a blank allowed before the unit, in milliseconds.
_FIXED_DELAY = Dialect(
    {"ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}, space_before_unit=True
)


def parse_duration_ms(text: str) -> int:
    """Istio duration (`500ms`, `2s`, `1.5s`) in milliseconds; at least 1 ms."""
    try:
        parts = split(str(text).strip(), _FIXED_DELAY)
    except NotADuration:
        parts = ()
    if len(parts) != 1:
        raise BadInput(f"fixed_delay: {text!r} is not a duration (write e.g. 500ms or 2s)")
    ms = round(total(parts, _FIXED_DELAY))
    if ms < 1:
        raise BadInput(f"fixed_delay: {text!r} is below Istio's 1ms minimum")
    return ms


def _destinations(routes: Sequence[Any]) -> tuple[tuple[str, str | None], ...]:
    """(host, subset) pairs as chaosistio's `set_fault` collects them (subset None: none)."""
    pairs: list[tuple[str, str | None]] = []
    for route in routes or []:
        dest = route.get("destination") if isinstance(route, dict) else None
        if not isinstance(dest, dict) or not dest.get("host"):
            raise BadInput("routes: each entry needs destination.host (e.g. payment-service)")
        subset = dest.get("subset")
        pairs.append((str(dest["host"]), str(subset) if subset is not None else None))
    if not pairs:
        raise BadInput("routes: name at least one destination (the route the fault goes on)")
    return tuple(dict.fromkeys(pairs))


def _inject(
    kind: str,
    virtual_service_name: str,
    routes: Sequence[Any],
    percentage: float | None,
    ns: str,
    *,
    delay_ms: int | None = None,
    abort_status: int | None = None,
) -> dict[str, Any]:
    ctx = current()
    if percentage is None:
        reason = f"{kind} fault on {virtual_service_name} has no percentage: Istio never fires it"
        ctx.invalidate(reason)
        raise FaultDidNotTake(reason + " (set percentage, 0.0001-100)")
    pct = float(percentage)
    if not 0 < pct <= 100:
        raise BadInput(f"percentage: {percentage} is outside (0, 100]")
    pairs = _destinations(routes)
    hosts = tuple(dict.fromkeys(h for h, _ in pairs))
    subsets = tuple(s for _, s in pairs if s)
    fault_id = new_fault_id(kind)
    mesh = ctx.faults()  # connect before writing, so an absent mesh leaves no record
    record = ctx.ledger.record(
        kind=kind,
        target=virtual_service_name,
        spec={
            "hosts": list(hosts),
            "subsets": list(subsets),
            "routes": [list(p) for p in pairs],
            "percentage": pct,
            "delay_ms": delay_ms,
            "abort_status": abort_status,
        },
        ttl_seconds=ctx.fault_ttl_seconds,
        mesh=True,
        fault_id=fault_id,
    )
    spec = FaultSpec(
        fault_id=fault_id,
        virtual_service=virtual_service_name,
        hosts=hosts,
        subsets=subsets,
        expires_at=record.expires_at,
        percentage=pct,
        delay_ms=delay_ms,
        abort_status=abort_status,
        destinations=pairs,
        namespace=ns,
    )
    try:
        mesh.apply(spec)
    except FaultDidNotTake as exc:  # the mesh refused it: where a cluster run would end too
        reason = f"{kind} fault on {virtual_service_name} did not take: {exc}"
        ctx.ledger.mark(fault_id, FaultStatus.REMOVED, note="refused by the mesh")
        ctx.invalidate(reason)
        raise FaultDidNotTake(reason) from None
    seen = {f.fault_id: f for f in mesh.active()}
    got = seen.get(fault_id)
    if got is None or got.delay_ms != delay_ms or got.abort_status != abort_status:
        reason = f"{kind} fault {fault_id} on {virtual_service_name} is not active after apply"
        ctx.invalidate(reason)
        raise FaultDidNotTake(reason)
    ctx.ledger.mark(fault_id, FaultStatus.APPLIED)
    fault: dict[str, Any] = {}
    if delay_ms is not None:
        fault["delay"] = {"fixedDelay": f"{delay_ms}ms", "percentage": {"value": pct}}
    if abort_status is not None:
        fault["abort"] = {"httpStatus": abort_status, "percentage": {"value": pct}}
    return {
        "fault_id": fault_id,
        "virtual_service": virtual_service_name,
        "fault": fault,
        "expires_in_seconds": round(record.expires_at - time.time(), 1),
    }


def _remove(kind: str, virtual_service_name: str) -> dict[str, Any]:
    ctx = current()
    mesh = ctx.faults()
    removed: list[str] = []
    for rec in ctx.ledger.outstanding():
        if rec.kind == kind and rec.target == virtual_service_name:
            mesh.remove(rec.fault_id)
            ctx.ledger.mark(rec.fault_id, FaultStatus.REMOVED, note="rollback")
            removed.append(rec.fault_id)
    for fault in mesh.active():  # faults the ledger lost track of (another process, a crash)
        if fault.virtual_service == virtual_service_name and kind in fault.kind.split("+"):
            mesh.remove(fault.fault_id)
            removed.append(fault.fault_id)
    left = [
        f.fault_id
        for f in mesh.active()
        if f.virtual_service == virtual_service_name and kind in f.kind.split("+")
    ]
    if left:
        raise FaultDidNotTake(f"{kind} faults still active on {virtual_service_name}: {left}")
    return {"virtual_service": virtual_service_name, "removed": removed}


def add_delay_fault(
    virtual_service_name: str,
    fixed_delay: str,
    routes: list[dict[str, Any]],
    percentage: float | None = None,
    ns: str = "default",
    version: str = DEFAULT_VERSION,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Delay `percentage`% of requests on the routes by `fixed_delay`."""
    return _inject(
        "delay",
        virtual_service_name,
        routes,
        percentage,
        ns,
        delay_ms=parse_duration_ms(fixed_delay),
    )


def add_abort_fault(
    virtual_service_name: str,
    http_status: int,
    routes: list[dict[str, Any]],
    percentage: float | None = None,
    ns: str = "default",
    version: str = DEFAULT_VERSION,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Answer `percentage`% of requests on the routes with `http_status` (200-599)."""
    status = int(http_status)
    if not 200 <= status <= 599:
        raise BadInput(f"http_status: {http_status} is outside 200-599")
    return _inject("abort", virtual_service_name, routes, percentage, ns, abort_status=status)


def remove_delay_fault(
    virtual_service_name: str,
    routes: list[dict[str, Any]],
    ns: str = "default",
    version: str = DEFAULT_VERSION,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Remove every delay fault from the virtual service (idempotent)."""
    return _remove("delay", virtual_service_name)


def remove_abort_fault(
    virtual_service_name: str,
    routes: list[dict[str, Any]],
    ns: str = "default",
    version: str = DEFAULT_VERSION,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Remove every abort fault from the virtual service (idempotent)."""
    return _remove("abort", virtual_service_name)
