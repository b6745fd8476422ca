"""Run the mesh data plane (`harness.mesh`) as the controller's child, fed by its listener plan.

In mesh mode the controller does not bind Service addresses itself: it plans one listener per
(calling Deployment, Service) pair, so the proxy knows the caller's identity for authorization
and metrics, writes that plan (`harness.contracts.listeners.ListenerPlan`), starts the mesh
command, keeps it running (restart with back-off), tracks its readiness, and asks Prometheus
to scrape it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.cluster.local.localconfig import LocalConfig, MeshSettings, expand
from harness.cluster.local.objects import ProbeSpec
from harness.cluster.local.parts import PartEvents
from harness.cluster.local.podprocs import PodProcess, Spawner, Starter
from harness.cluster.local.probes import check
from harness.cluster.local.state import StateDir
from harness.contracts.listeners import GatewayListener, ListenerPlan, ServiceListener


def render_plan(
    mesh: MeshSettings,
    listeners: tuple[ServiceListener, ...],
    *,
    admin_port: int,
    gateway_port: int,
    namespace: str,
) -> ListenerPlan:
    """The mesh's listener plan for `namespace`, with the gateway when the mesh serves it."""
    gateway = None
    if mesh.gateway is not None:
        gateway = GatewayListener(
            port=gateway_port,
            workload=mesh.gateway.workload,
            service_account=mesh.gateway.service_account,
            labels=dict(mesh.gateway.labels),
        )
    return ListenerPlan.for_listeners(
        listeners, namespace=namespace, admin_port=admin_port, gateway=gateway
    )


class MeshProcess:
    """The mesh child: started, restarted when it exits, probed for readiness."""

    def __init__(
        self,
        mesh: MeshSettings,
        config: LocalConfig,
        state: StateDir,
        *,
        plan: ListenerPlan,
        admin_url: str,
        manifests: Path,
        on_spawn: Callable[[int, bool], None],
        starter: Starter | None = None,
        events: PartEvents | None = None,
    ) -> None:
        self.mesh = mesh
        self.events = events if events is not None else PartEvents()
        self._starter = starter or Spawner()
        self.state = state
        self.admin_port = plan.admin_port
        self._probe_ok = False
        self.restarts = 0
        self.proc: PodProcess | None = None
        self._on_spawn = on_spawn
        self._stopping = asyncio.Event()
        plan_file = state.root / "mesh" / "plan.json"
        state.write_json(plan_file, plan.model_dump(mode="json"))
        extra = {
            "{plan}": str(plan_file),
            "{admin_url}": admin_url,
            "{manifests}": str(manifests),
            "{mesh_admin_port}": str(self.admin_port),
        }
        self.argv = []
        for arg in mesh.command:
            for key, value in extra.items():
                arg = arg.replace(key, value)
            self.argv.append(expand(arg, config=config, state=state.root, python=sys.executable))
        self.cwd = config.project
        (state.root / "scrape").mkdir(parents=True, exist_ok=True)
        target = [
            {
                "targets": [f"127.0.0.1:{self.admin_port}"],
                "labels": {"component": "mesh", "__metrics_path__": mesh.metrics_path},
            }
        ]
        (state.root / "scrape" / "mesh.json").write_text(json.dumps(target))

    async def run(self) -> None:
        """Keep the mesh up until `stop()`: restart after 0.5 s doubling to 10 s."""
        backoff = 0.5
        probe = asyncio.ensure_future(self._probe())
        try:
            while not self._stopping.is_set():
                env = {**os.environ, "HARNESS_STATE_DIR": str(self.state.root)}
                self.proc = await self._starter.start(
                    self.argv, env=env, cwd=self.cwd, log_path=self.state.logs / "mesh.log"
                )
                self._on_spawn(self.proc.pid, True)
                exited = self.proc.exited
                stopping = asyncio.ensure_future(self._stopping.wait())
                waiting: set[asyncio.Future[Any]] = {exited, stopping}
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if self._stopping.is_set():
                    with contextlib.suppress(BaseException):
                        await self.proc.stop(5.0)
                    self._on_spawn(self.proc.pid, False)
                    break
                self._on_spawn(self.proc.pid, False)
                self._probe_ok = False
                self.restarts += 1
                served = " with the gateway it serves" if self.mesh.gateway is not None else ""
                self.events.add(
                    "mesh",
                    f"exited{served} (pid {self.proc.pid}, code {self.proc.returncode}); "
                    f"restarting in {backoff:g}s",
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                backoff = min(backoff * 2, 10.0)
        finally:
            probe.cancel()
            self._probe_ok = False
            (self.state.root / "scrape" / "mesh.json").unlink(missing_ok=True)

    async def _probe(self) -> None:
        spec = ProbeSpec(path=self.mesh.ready_path, port=str(self.admin_port), timeout=1.0)
        while True:
            self._probe_ok = await check(spec, self.admin_port)
            await asyncio.sleep(0.1 if not self._probe_ok else 1.0)

    @property
    def ready(self) -> bool:
        """Its ready path answered lately and the process it answered for is still alive."""
        return self._probe_ok and self.pid is not None

    @property
    def pid(self) -> int | None:
        proc = self.proc
        return proc.pid if proc is not None and proc.returncode is None else None

    def stop(self) -> None:
        self._stopping.set()
