"""Kubernetes target: chaostoolkit-istio's fault actions, wrapped with the ledger and a read-back.

The real chaosistio functions do the work (same arguments, same Kubernetes API calls; they need
the official client before version 35, hence the pin in pyproject.toml). The wrapper adds what
they do not promise: the fault is written to the ledger before it is applied, with the matching
chaosistio removal as its undo (so `harness chaos cleanup` and the next run can remove it after
a crash: Istio faults have no expiry of their own), a non-2xx answer of the API is a failure
rather than a "succeeded" action, and the VirtualService is read back: the fault block must be
on the targeted routes, or the run is invalid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from harness.chaos.context import current, mark_removed
from harness.chaos.ledger import FaultStatus, Undo
from harness.contracts.faults import FaultDidNotTake

DEFAULT_VERSION = "networking.istio.io/v1alpha3"


def _targets(routes: Sequence[Mapping[str, Any]]) -> set[tuple[str, str | None]]:
    return {
        (str(r["destination"]["host"]), r["destination"].get("subset"))
        for r in routes
        if isinstance(r, Mapping) and isinstance(r.get("destination"), Mapping)
    }


def _faults_on_routes(body: Mapping[str, Any], routes: Sequence[Mapping[str, Any]]) -> list[Any]:
    wanted = _targets(routes)
    found = []
    for http in (body.get("spec") or {}).get("http") or []:
        for route in http.get("route") or []:
            dest = route.get("destination") or {}
            if (dest.get("host"), dest.get("subset")) in wanted and "fault" in http:
                found.append(http["fault"])
    return found


def _add(
    kind: str,
    virtual_service_name: str,
    routes: list[dict[str, Any]],
    ns: str,
    version: str,
    configuration: dict[str, Any] | None,
    secrets: dict[str, Any] | None,
    spec: Mapping[str, Any],
    call: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    from chaosistio.fault.probes import get_virtual_service

    from harness.cluster.kubernetes.connection import chaos_cluster

    ctx = current()
    target = f"{ns}/{virtual_service_name}"
    undo = Undo(
        __name__,  # the wrapper: a refused removal raises instead of "succeeding"
        "undo_fault",
        {
            "kind": kind,
            "virtual_service_name": virtual_service_name,
            "routes": routes,
            "ns": ns,
            "version": version,
            # `harness chaos cleanup` in another shell must reach the same cluster
            **chaos_cluster(),
        },
    )
    record = ctx.ledger.record(
        kind=kind, target=target, spec=spec, ttl_seconds=ctx.fault_ttl_seconds, undo=undo
    )
    result = call()
    status = int(result.get("status", 0))
    if not 200 <= status < 300:
        reason = f"{kind} fault on {target}: the Kubernetes API answered {status}"
        ctx.ledger.mark(record.fault_id, FaultStatus.REMOVED, note="refused by the API")
        ctx.invalidate(reason)
        raise FaultDidNotTake(reason)
    seen = get_virtual_service(
        virtual_service_name, ns=ns, version=version, configuration=configuration,
        secrets=secrets,
    )  # fmt: skip
    if seen.get("status") != 200 or not any(
        kind in f for f in _faults_on_routes(seen.get("body") or {}, routes)
    ):
        reason = f"{kind} fault on {target} is not on the VirtualService after the patch"
        ctx.invalidate(reason)
        raise FaultDidNotTake(reason)
    ctx.ledger.mark(record.fault_id, FaultStatus.APPLIED)
    return result


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
    """chaosistio's add_delay_fault, recorded first and read back after."""
    from chaosistio.fault import actions

    return _add(
        "delay", virtual_service_name, routes, ns, version, configuration, secrets,
        {"fixed_delay": fixed_delay, "percentage": percentage},
        lambda: actions.add_delay_fault(
            virtual_service_name, fixed_delay, routes, percentage, ns, version,
            configuration, secrets,
        ),
    )  # fmt: skip


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
    """chaosistio's add_abort_fault, recorded first and read back after."""
    from chaosistio.fault import actions

    return _add(
        "abort", virtual_service_name, routes, ns, version, configuration, secrets,
        {"http_status": http_status, "percentage": percentage},
        lambda: actions.add_abort_fault(
            virtual_service_name, http_status, routes, percentage, ns, version,
            configuration, secrets,
        ),
    )  # fmt: skip


def undo_fault(
    kind: str,
    virtual_service_name: str,
    routes: list[dict[str, Any]],
    ns: str = "default",
    version: str = DEFAULT_VERSION,
    kubeconfig: str | None = None,
    context: str | None = None,
) -> dict[str, Any]:
    """The ledger's undo: the removal, on the cluster the fault was injected into.

    `kubeconfig`/`context` are recorded with the fault, so `harness chaos cleanup` reaches
    that cluster whatever the environment of the shell it runs in says.
    """
    if kubeconfig and context:
        from harness.cluster.kubernetes.connection import use_kubeconfig

        use_kubeconfig(kubeconfig, context)
    remove = remove_delay_fault if kind == "delay" else remove_abort_fault
    return remove(virtual_service_name, routes, ns, version)


def _remove(
    kind: str, virtual_service_name: str, ns: str, result: dict[str, Any]
) -> dict[str, Any]:
    status = int(result.get("status", 0))
    if not 200 <= status < 300:
        raise FaultDidNotTake(
            f"removing the {kind} fault on {ns}/{virtual_service_name}: API answered {status}"
        )
    mark_removed(kind=kind, target=f"{ns}/{virtual_service_name}")
    return result


def remove_delay_fault(
    virtual_service_name: str,
    routes: list[dict[str, Any]],
    ns: str = "default",
    version: str = DEFAULT_VERSION,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """chaosistio's remove_delay_fault; a non-2xx answer fails instead of passing."""
    from chaosistio.fault import actions

    result = actions.remove_delay_fault(
        virtual_service_name, routes, ns, version, configuration, secrets
    )
    return _remove("delay", virtual_service_name, ns, result)


def remove_abort_fault(
    virtual_service_name: str,
    routes: list[dict[str, Any]],
    ns: str = "default",
    version: str = DEFAULT_VERSION,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """chaosistio's remove_abort_fault; a non-2xx answer fails instead of passing."""
    from chaosistio.fault import actions

    result = actions.remove_abort_fault(
        virtual_service_name, routes, ns, version, configuration, secrets
    )
    return _remove("abort", virtual_service_name, ns, result)
