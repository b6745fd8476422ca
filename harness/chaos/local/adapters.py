"""Adapters from the chaos protocols to the local target's real parts.

* `AdminPods` (PodControl): the local controller's admin API through its typed client
  (`harness.cluster.local.client.AdminClient`).
* `MeshLedgerFaults` (FaultControl): faults are applied through the running proxy's fault API
  (`POST /faults`, found through `<state>/mesh/admin.json`), because the proxy holds the Istio
  config and alone decides which VirtualService rules a fault sits on: it refuses a fault that
  names no VirtualService or whose routes no rule carries (FaultDidNotTake, as the read-back on a
  cluster would). Read-back, removal and clearing use the ledger it writes
  (`<state>/mesh/faults.json`, `harness.mesh.faults`), which the proxy re-reads every 0.2 s and
  documents as writable under its lock. Expiry is enforced by the proxy from `expires_at`, so a
  fault vanishes even when the harness is SIGKILLed; with no proxy running no fault is in force.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from harness.chaos.context import FaultDidNotTake
from harness.chaos.local.selectors import selector_matches
from harness.chaos.protocols import DeploymentStatus, Endpoint, FaultSpec, PodInfo
from harness.errors import BadInput, CouldNotRun

if TYPE_CHECKING:
    from harness.cluster.local.client import AdminClient
    from harness.contracts.cluster import PodStatus

MESH_LABEL = "harness-chaos"
# The proxy polls its ledger every 0.2 s; after this long a written fault is in force.
SETTLE_SECONDS = 0.5
APPLY_TIMEOUT_SECONDS = 5.0  # the proxy re-reads the ledger every 0.2 s


def _pod_info(pod: PodStatus) -> PodInfo:
    labels = {"app": pod.service, "version": pod.version, **pod.labels}
    return PodInfo(
        name=pod.name,
        namespace=pod.namespace,
        labels=labels,
        phase=str(pod.phase),
        ready=pod.ready,
        # a restarted or replaced pod has a new process and creation time
        uid=f"{pod.name}@{pod.created_at}:{pod.pid}",
        started_at=pod.created_at,
    )


class AdminPods:
    """PodControl over the local controller's admin API."""

    def __init__(self, client: AdminClient) -> None:
        self.client = client

    def close(self) -> None:
        self.client.close()

    def list_pods(self, namespace: str, label_selector: str | None = None) -> list[PodInfo]:
        pods = [_pod_info(p) for p in self.client.pods() if p.namespace == namespace]
        return [p for p in pods if selector_matches(label_selector, p.labels)]

    def delete_pod(self, namespace: str, name: str, grace_period_seconds: int | None) -> None:
        try:
            self.client.delete_pod(name, grace_period=grace_period_seconds, wait=False)
        except BadInput:
            # 404: already gone, which is what a delete wants (idempotent)
            if any(p.name == name for p in self.client.pods()):
                raise

    def scale(self, namespace: str, deployment: str, replicas: int) -> None:
        self.client.scale(deployment, replicas)

    def deployment_status(self, namespace: str, name: str) -> DeploymentStatus | None:
        for d in self.client.deployments():
            if d.name == name and d.namespace == namespace:
                return DeploymentStatus(
                    d.name, d.namespace, d.replicas, d.ready_replicas, d.ready_replicas
                )
        return None

    def endpoints(self, namespace: str, service: str) -> list[Endpoint]:
        return [
            Endpoint(host=e.ip, port=e.port, pod=e.pod)
            for e in self.client.endpoints(service=service)
            if e.ready
        ]


class MeshLedgerFaults:
    """FaultControl over the mesh proxy's fault ledger (one mesh fault per destination host)."""

    def __init__(self, state_dir: Path, *, settle_seconds: float = SETTLE_SECONDS) -> None:
        from harness.mesh import faults as mesh_faults

        self._fl = mesh_faults
        self.path = mesh_faults.ledger_path(state_dir)
        self.settle_seconds = settle_seconds

    def _api(self) -> tuple[str, dict[str, str]]:
        from harness.mesh.server import admin_token

        where = self._fl.admin_path(self.path.parent.parent)
        try:
            port = int(json.loads(where.read_text(encoding="utf-8"))["port"])
        except (OSError, ValueError, KeyError, TypeError):
            raise CouldNotRun(
                f"no mesh proxy runs for {self.path.parent.parent} ({where} missing): "
                "start the stack with `harness up`"
            ) from None
        token = admin_token(self.path.parent.parent)
        return f"http://127.0.0.1:{port}/faults", {"authorization": f"Bearer {token}"}

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
            "label": f"{MESH_LABEL}:{fault.fault_id}",
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
        for f in self._fl.active(self.path):
            if f.id == fault_id or f.id.startswith(fault_id + "."):
                self._fl.remove(self.path, f.id)
        self._in_force()

    def _in_force(self) -> None:
        """Wait until the proxy enforces the ledger as written (its stamp), both ways: a fault
        is only applied, and a rollback only done, once the data plane says so. Without a
        proxy stamp (none ran on this state folder) the old fixed settle time is used."""
        if not self._fl.wait_applied(self.path, timeout=APPLY_TIMEOUT_SECONDS):
            time.sleep(self.settle_seconds)

    def active(self) -> list[FaultSpec]:
        grouped: dict[str, FaultSpec] = {}
        for f in self._fl.active(self.path):
            base = f.id.split(".", 1)[0]
            if f.virtual_service:
                pairs = f.routes
                vs = f.virtual_service
            else:  # a destination fault (the API's debugging form, or an older harness)
                pairs = ((f.service, f.subset),)
                label = f.label.split(":", 1)
                vs = label[1] if len(label) == 2 and label[0] == MESH_LABEL else f.service
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
        self._fl.clear(self.path)
