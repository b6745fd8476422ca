"""The local mesh as a `FaultControl` (harness.contracts.faults): what chaos activities call.

Faults are applied through the running proxy's fault API (`POST /faults`, found through
`<state>/mesh/admin.json`), because the proxy holds the Istio config and alone decides which
VirtualService rules a fault sits on: it refuses a fault that names no VirtualService or whose
routes no rule carries (FaultDidNotTake, as the read-back on a cluster would). Read-back,
removal and clearing use the ledger it writes (`<state>/mesh/faults.json`, `faults.py`), which
the proxy re-reads every 0.2 s and documents as writable under its lock. Expiry is enforced by
the proxy from `expires_at`, so a fault vanishes even when the harness is SIGKILLed; with no
proxy running no fault is in force.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from harness.contracts.faults import FaultDidNotTake, FaultSpec
from harness.errors import BadInput, CouldNotRun
from harness.mesh import faults as ledger

# Ledger label of a fault chaos put on a VirtualService: `harness-chaos:<fault id>`.
CHAOS_LABEL = "harness-chaos"
# Without a proxy stamp to wait for (none ran on this state folder), a written fault is in
# force after this long: the proxy re-reads its ledger every 0.2 s.
SETTLE_SECONDS = 0.5
APPLY_TIMEOUT_SECONDS = 5.0


class MeshFaults:
    """FaultControl over the mesh proxy's fault API and ledger (one ledger fault per route)."""

    def __init__(self, state_dir: Path, *, settle_seconds: float = SETTLE_SECONDS) -> None:
        self.state_dir = state_dir
        self.path = ledger.ledger_path(state_dir)
        self.settle_seconds = settle_seconds

    def _api(self) -> tuple[str, dict[str, str]]:
        from harness.mesh.server import admin_token

        where = ledger.admin_path(self.state_dir)
        try:
            port = int(json.loads(where.read_text(encoding="utf-8"))["port"])
        except (OSError, ValueError, KeyError, TypeError):
            raise CouldNotRun(
                f"no mesh proxy runs for {self.state_dir} ({where} missing): "
                "start the stack with `harness up`"
            ) from None
        token = admin_token(self.state_dir)
        return f"http://127.0.0.1:{port}/faults", {"authorization": f"Bearer {token}"}

    def _proxy_gone(self) -> bool:
        from harness.process import wait_for_port

        try:
            where = json.loads(ledger.admin_path(self.state_dir).read_text(encoding="utf-8"))
            port = int(where["port"])
        except (OSError, ValueError, KeyError, TypeError):
            return False  # never ran here: the settle time applies
        return not wait_for_port(port, timeout=0.2)

    def apply(self, fault: FaultSpec) -> None:
        import httpx

        url, headers = self._api()
        routes = [
            {"destination": {"host": h, **({"subset": s} if s else {})}}
            for h, s in fault.destinations
        ]
        body: dict[str, object] = {
            "id": fault.fault_id,
            "virtual_service": fault.virtual_service,
            "routes": routes,
            "ttl_seconds": max(fault.expires_at - time.time(), 0.001),
            "label": f"{CHAOS_LABEL}:{fault.fault_id}",
        }
        if fault.namespace:
            body["namespace"] = fault.namespace
        if fault.delay_ms:
            body["delay"] = {"fixed_delay_ms": fault.delay_ms, "percentage": fault.percentage}
        if fault.abort_status:
            body["abort"] = {"http_status": fault.abort_status, "percentage": fault.percentage}
        try:
            resp = httpx.post(url, json=body, headers=headers, timeout=APPLY_TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            raise CouldNotRun(f"the mesh fault API at {url} did not answer: {exc}") from exc
        if resp.status_code in (404, 422):
            raise FaultDidNotTake(str(resp.json().get("error", resp.text)))
        if resp.status_code == 400:
            raise BadInput(str(resp.json().get("error", resp.text)))
        if resp.status_code != 201:
            raise CouldNotRun(f"the mesh fault API answered {resp.status_code}: {resp.text[:200]}")
        self._in_force()

    def remove(self, fault_id: str) -> None:
        for f in ledger.active(self.path):
            if f.id == fault_id or f.id.startswith(fault_id + "."):
                ledger.remove(self.path, f.id)
        self._in_force()

    def _in_force(self) -> None:
        """Wait until the proxy enforces the ledger as written (its stamp), both ways: a fault
        is only applied, and a rollback only done, once the data plane says so. Without a
        proxy stamp (none ran on this state folder) the old fixed settle time is used. With
        no proxy listening (it died with the controller) nothing enforces anything and the
        next one starts from the ledger: waiting for its stamp would only delay the run."""
        if self._proxy_gone():
            return
        if not ledger.wait_applied(self.path, timeout=APPLY_TIMEOUT_SECONDS):
            time.sleep(self.settle_seconds)

    def active(self) -> list[FaultSpec]:
        grouped: dict[str, FaultSpec] = {}
        for f in ledger.active(self.path):
            base = f.id.split(".", 1)[0]
            if f.virtual_service:
                pairs = f.routes
                vs = f.virtual_service
            else:  # a destination fault (the API's debugging form, or an older harness)
                pairs = ((f.service, f.subset),)
                label = f.label.split(":", 1)
                vs = label[1] if len(label) == 2 and label[0] == CHAOS_LABEL else f.service
            spec = grouped.get(base)
            hosts = (*spec.hosts, *(h for h, _ in pairs)) if spec else tuple(h for h, _ in pairs)
            grouped[base] = FaultSpec(
                fault_id=base,
                virtual_service=vs,
                hosts=hosts,
                expires_at=f.expires_at,
                percentage=f.delay_percent or f.abort_percent,
                delay_ms=f.delay_ms or None,
                abort_status=f.abort_status or None,
                subsets=tuple(s for _, s in pairs if s),
                destinations=tuple(pairs) if f.virtual_service else (),
            )
        return list(grouped.values())

    def clear(self) -> None:
        ledger.clear(self.path)
