"""The proxy process: listeners from the plan, the admin port (metrics, fault API), pollers.

Admin port routes (loopback only):
    GET    /metrics            Prometheus text (Istio and Kong metrics)
    GET    /healthz            200 once listening; /ready 200 once endpoints were loaded
    GET    /faults             {"faults": [...]}   (bearer token)
    POST   /faults             add one (FaultRequest JSON) → 201 {"fault": {...}}; a
                               VirtualService fault that would not take → 404 (no such
                               VirtualService) or 422 (no rule routes to its routes) {"error"}
    DELETE /faults/<id>        remove one → {"removed": true|false}
    DELETE /faults             remove all → {"removed": n}
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import json
import os
import secrets
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.contracts.listeners import ListenerPlan
from harness.errors import BadInput, ConfigError, CouldNotRun
from harness.mesh import faults as fl
from harness.mesh.caller import Caller
from harness.mesh.config import SecretResolver, load_config, resolve_consumers
from harness.mesh.endpoints import EndpointSource
from harness.mesh.findings import first_error
from harness.mesh.gateway import Gateway
from harness.mesh.http1 import Handler, Pool, Request, Response, ServerProtocol, text_response
from harness.mesh.mesh import Mesh
from harness.mesh.metrics import Registry

LOOPBACK = "127.0.0.1"
JSON = b"application/json"


def _json(status: int, payload: object) -> Response:
    return text_response(status, json.dumps(payload).encode(), content_type=JSON)


@dataclass
class Settings:
    plan: ListenerPlan
    config_paths: list[Path]
    state_dir: Path
    source: EndpointSource
    poll_interval: float = 0.5


def admin_token(state_dir: Path) -> str:
    """The controller's token when present; otherwise one the proxy makes for itself."""
    shared = state_dir / "admin.token"
    if shared.exists():
        return shared.read_text(encoding="utf-8").strip()
    own = state_dir / "mesh" / "admin.token"
    own.parent.mkdir(parents=True, exist_ok=True)
    if not own.exists():
        own.write_text(secrets.token_hex(16), encoding="utf-8")
        own.chmod(0o600)
    return own.read_text(encoding="utf-8").strip()


class Dataplane:
    def __init__(self, s: Settings) -> None:
        self.s = s
        cfg = load_config(s.config_paths)
        first_error(cfg.findings)
        self.registry = Registry()
        self.pool = Pool()
        self.mesh = Mesh(cfg, self.registry, self.pool, s.plan.namespace)
        self.ledger = fl.ledger_path(s.state_dir)
        self.token = admin_token(s.state_dir)
        self.gateway: Gateway | None = None
        self.loaded = False
        if s.plan.gateway is not None:
            if cfg.kong is None:
                raise ConfigError(
                    ", ".join(map(str, s.config_paths)),
                    "ConfigMap data.kong.yml",
                    "no Kong declarative configuration found",
                    "add the kong ConfigMap or drop `gateway` from the plan",
                )
            g = s.plan.gateway
            resolver = SecretResolver(cfg.kong_env, s.state_dir / "secrets")
            consumers = resolve_consumers(cfg.kong, resolver)
            caller = Caller(
                g.workload, g.service_account, tuple(sorted(g.labels.items())), s.plan.namespace
            )
            self.gateway = Gateway(cfg.kong, consumers, self.mesh, caller, self.registry, g.port)
        self._ledger_mtime = -1

    # --- admin --------------------------------------------------------------------------

    def _authorized(self, req: Request) -> bool:
        got = req.header_map().get("authorization", "")
        return hmac.compare_digest(got, f"Bearer {self.token}")

    async def admin(self, req: Request) -> Response:
        path = req.target.split("?", 1)[0]
        if path == "/metrics" and req.method == "GET":
            return text_response(
                200, self.registry.expose(), content_type=b"text/plain; version=0.0.4"
            )
        if path == "/healthz":
            return _json(200, {"status": "ok"})
        if path == "/ready":
            return _json(200 if self.loaded else 503, {"endpoints_loaded": self.loaded})
        if path == "/faults" or path.startswith("/faults/"):
            if not self._authorized(req):
                return _json(401, {"error": "bearer token required (see <state>/admin.token)"})
            return self._faults(req, path)
        return _json(404, {"error": "not found"})

    def _faults(self, req: Request, path: str) -> Response:
        if path == "/faults" and req.method == "GET":
            return _json(200, {"faults": [asdict(f) for f in fl.active(self.ledger)]})
        if path == "/faults" and req.method == "POST":
            try:
                request = fl.parse_request(req.body)
            except BadInput as exc:
                return _json(400, {"error": str(exc)})
            if request.virtual_service is not None:
                refused = fl.refusal(
                    self.mesh.cfg.virtual_services,
                    request.virtual_service,
                    request.namespace or self.mesh.namespace,
                    request.destinations(),
                )
                if refused is not None:
                    return _json(refused[0], {"error": refused[1]})
            fault = request.to_fault(time.time())
            fl.record(self.ledger, fault)  # recorded first, applied second
            self._reload_faults(force=True)
            return _json(201, {"fault": asdict(fault)})
        if path == "/faults" and req.method == "DELETE":
            n = fl.clear(self.ledger)
            self._reload_faults(force=True)
            return _json(200, {"removed": n})
        if path.startswith("/faults/") and req.method == "DELETE":
            removed = fl.remove(self.ledger, path[len("/faults/") :])
            self._reload_faults(force=True)
            return _json(200, {"removed": removed})
        return _json(405, {"error": "method not allowed"})

    def _reload_faults(self, force: bool = False) -> None:
        try:
            mtime = self.ledger.stat().st_mtime_ns
        except FileNotFoundError:
            mtime = 0
        if force or mtime != self._ledger_mtime or self.mesh.has_faults:
            changed = mtime != self._ledger_mtime
            self._ledger_mtime = mtime
            self.mesh.set_faults(fl.active(self.ledger))
            if changed or force:
                # tell writers this ledger version is in force (fl.wait_applied)
                with contextlib.suppress(OSError):
                    fl.mark_applied(self.ledger, mtime)

    # --- background ---------------------------------------------------------------------

    async def _poll_endpoints(self) -> None:
        source = self.s.source
        while True:
            try:
                self.mesh.set_endpoints(await source.snapshot())
                self.loaded = True
            except Exception:  # keep the last good endpoints on any failure, retry a poll later
                await asyncio.sleep(self.s.poll_interval)
                continue
            if not source.watches:  # a watch returns on a change (or its timeout) by itself
                await asyncio.sleep(self.s.poll_interval)

    async def _watch_ledger(self) -> None:
        while True:
            self._reload_faults()
            await asyncio.sleep(0.2)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        servers = []
        plan = self.s.plan

        async def listen(port: int, handler: Handler) -> None:
            try:
                servers.append(
                    await loop.create_server(
                        lambda: ServerProtocol(handler),
                        LOOPBACK,
                        port,
                        reuse_address=True,
                        backlog=1024,
                    )
                )
            except OSError as exc:
                raise ConfigError(
                    "listener plan", f"port {port}", f"cannot listen: {exc}", "pick a free port"
                ) from exc

        try:
            self.mesh.set_endpoints(await self.s.source.snapshot())
            self.loaded = True
        except (CouldNotRun, ConfigError) as exc:
            # Serve anyway (503 `no healthy upstream` until endpoints arrive); /ready says 503.
            print(f"mesh proxy: endpoints not loaded yet: {exc}", flush=True)
        self._reload_faults(force=True)
        await listen(plan.admin_port, self.admin)
        # chaos code finds the fault API here (it lets the proxy judge VirtualService faults)
        where = fl.admin_path(self.s.state_dir)
        where.parent.mkdir(parents=True, exist_ok=True)
        where.write_text(json.dumps({"port": plan.admin_port, "pid": os.getpid()}), "utf-8")
        if self.gateway is not None and plan.gateway is not None:
            await listen(plan.gateway.port, self.gateway.handle)
        for li in plan.listeners:
            caller = Caller(
                li.source_workload,
                li.source_service_account,
                tuple(sorted((li.source_labels or {"app": li.source_workload}).items())),
                plan.namespace,
            )
            await listen(li.port, _bind(self.mesh, caller, li.destination_service))
        # Config and caches are long-lived: keep them out of the collector's way, and collect
        # the young generation less often (a request allocates a few dozen short-lived objects).
        gc.collect()
        gc.freeze()
        gc.set_threshold(20000, 20, 20)
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        tasks = [loop.create_task(self._poll_endpoints()), loop.create_task(self._watch_ledger())]
        print(f"mesh proxy ready: admin 127.0.0.1:{plan.admin_port}", flush=True)
        await stop.wait()
        with contextlib.suppress(OSError):
            where.unlink()
        for t in tasks:
            t.cancel()
        for srv in servers:
            srv.close()
        self.pool.close()


def _bind(mesh: Mesh, caller: Caller, service: str) -> Handler:
    async def handler(req: Request) -> Response:
        return await mesh.forward(caller, service, req)

    return handler
