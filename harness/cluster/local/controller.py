"""The local cluster controller at work: one asyncio loop that owns every pod of the stack.

It keeps each Deployment at its replica count (a deleted pod is replaced under a new name, an
exited container restarts in place), publishes endpoints to the service-address component,
serves the admin API and runs Prometheus, the mesh and the fork server. The process around it
(arguments, logging, the error file) is `harness.cluster.local.daemon`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import time
from typing import Any

from harness import process
from harness.cluster.local import autoscaling, cadvisor, kube_state, views
from harness.cluster.local.admin import AdminServer, HttpError
from harness.cluster.local.localconfig import MeshSettings
from harness.cluster.local.meshlink import MeshProcess, render_plan
from harness.cluster.local.objects import Deployment, Service
from harness.cluster.local.parts import PartEvents, PrometheusProcess, parts_json, watch_fork_server
from harness.cluster.local.pod import Pod, PodPlan
from harness.cluster.local.podprocs import ForkServer, Spawner, Starter
from harness.cluster.local.podspec import local_ports, pod_env
from harness.cluster.local.rollouts import Rollouts
from harness.cluster.local.service_address import ServiceAddressBackend
from harness.cluster.local.stack import Stack
from harness.cluster.local.state import StateDir
from harness.contracts.cluster import DeploymentStatus, Endpoint
from harness.errors import HarnessError
from harness.prometheus import server as prometheus

log = logging.getLogger("harness.controller")
_SUFFIX = "bcdfghjklmnpqrstvwxz2456789"


class Controller:
    def __init__(
        self,
        stack: Stack,
        state: StateDir,
        backend: ServiceAddressBackend | None,
        starter: Starter | None = None,
    ):
        self.stack = stack
        self.state = state
        self.backend = backend
        self.starter = starter or Spawner()
        self.started_at = time.time()
        self.pods: dict[str, Pod] = {}
        plain = [d for d in stack.deployments if d.rollout is None]
        self.desired = {self._key(d): d.replicas for d in plain}
        self.by_key = {self._key(d): d for d in plain}
        # Argo Rollouts: each revision joins by_key/desired as `<ns>/<name>@<hash>`
        self.rollouts = Rollouts(self, stack.deployments)
        self._tasks: set[asyncio.Task[None]] = set()
        self._ports: set[int] = set()
        self._children: set[int] = set()
        self._shutdown = asyncio.Event()
        self._stopping = False
        # endpoints change counter and its wake-up, for `GET /api/v1/endpoints?after=N` watches
        self.endpoints_version = 0
        # the newest version an endpoints reader (the mesh) has fetched: in mesh mode the stack
        # is ready only once the proxy has seen the pods ready, not merely once they are
        self.endpoints_served = -1
        self._endpoints_changed = asyncio.Event()
        self.prometheus: PrometheusProcess | None = None
        self._prometheus_task: asyncio.Task[Any] | None = None
        self.events = PartEvents()  # deaths and restarts of the parts beside the pods
        self.mesh: MeshProcess | None = None
        self._mesh_task: asyncio.Task[Any] | None = None
        self.hpa: autoscaling.HpaLoop | None = None

    @staticmethod
    def _key(d: Deployment) -> str:
        suffix = f"@{d.template_hash}" if d.rollout is not None else ""
        return f"{d.namespace}/{d.name}{suffix}"

    # ---- pods -----------------------------------------------------------------------------

    def _allocate(self, count: int) -> list[int]:
        first, last = self.stack.ports.pods
        out: list[int] = []
        for port in range(first, last + 1):
            if len(out) == count:
                break
            if port not in self._ports and process.port_is_free(port):
                out.append(port)
        if len(out) < count:
            raise HarnessError("pod port range exhausted (widen --pod-ports)")
        self._ports.update(out)
        return out

    def _new_pod(self, dep: Deployment) -> None:
        while True:
            suffix = "".join(secrets.choice(_SUFFIX) for _ in range(5))
            name = f"{dep.name}-{dep.template_hash}-{suffix}"
            if name not in self.pods:
                break
        ports_list = self._allocate(max(1, len(dep.container.ports)))
        ports = local_ports(dep, ports_list)
        if dep.rollout is not None:
            command = self.rollouts.command(dep)
        else:
            command = self.stack.commands[self._key(dep)]
        data_dir = self.state.data_dir(dep.app)
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # a database: owner only
        plan = PodPlan(
            name=name,
            deployment=dep,
            argv=command.argv,
            cwd=command.cwd,
            env=pod_env(
                command,
                dep,
                pod=name,
                port=ports_list[0],
                ports=ports,
                data_dir=data_dir,
                state=self.state.root,
            ),
            port=ports_list[0],
            ports=ports,
            log_path=self.state.pod_log(name),
        )
        pod = Pod(
            plan,
            restart=self.stack.config.cluster.restart,
            on_change=self._changed,
            on_spawn=self._spawned,
            starter=self.starter,
        )
        self.pods[name] = pod
        task = asyncio.ensure_future(self._run_pod(pod, ports_list))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_pod(self, pod: Pod, ports: list[int]) -> None:
        try:
            await pod.run()
        except Exception:
            log.exception("pod %s crashed the controller loop", pod.name)
        finally:
            self.pods.pop(pod.name, None)
            self._ports.difference_update(ports)
            self._changed(pod)
            if not self._stopping and self._key(pod.plan.deployment) in self.by_key:
                self._reconcile(self._key(pod.plan.deployment))

    def _reconcile(self, key: str) -> None:
        """Create or delete pods until the Deployment has its desired count.

        Terminating pods do not count, so a deleted pod is replaced at once.
        """
        dep = self.by_key[key]
        active = [p for p in self.pods.values() if p.plan.deployment is dep and not p.terminating]
        for _ in range(self.desired[key] - len(active)):
            self._new_pod(dep)
        if len(active) > self.desired[key]:
            # like a ReplicaSet: unready pods go first, then the newest
            victims = sorted(active, key=lambda p: (p.ready, -p.created_at))
            for pod in victims[: len(active) - self.desired[key]]:
                self._spawn_task(pod.delete())

    def _spawn_task(self, coro: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _spawned(self, pgid: int, alive: bool) -> None:
        (self._children.add if alive else self._children.discard)(pgid)
        self.state.write_json(self.state.children_file, {"pgids": sorted(self._children)})

    def _changed(self, pod: Pod) -> None:
        self.endpoints_version += 1
        self._endpoints_changed.set()
        self._endpoints_changed = asyncio.Event()
        if pod.plan.deployment.rollout is not None:
            self.rollouts.wake()
        if self.backend is None:
            return
        labels = pod.plan.deployment.labels
        for svc in self.services():
            if svc.namespace == pod.plan.deployment.namespace and svc.selects(labels):
                self.backend.update(svc.name, svc.namespace, self.endpoints(svc.name))

    def services_changed(self, names: list[str], namespace: str) -> None:
        """A Rollout moved a Service's selector: its endpoints changed without any pod change."""
        self.endpoints_version += 1
        self._endpoints_changed.set()
        self._endpoints_changed = asyncio.Event()
        if self.backend is not None:
            for name in names:
                self.backend.update(name, namespace, self.endpoints(name))

    def services(self) -> list[Service]:
        """The manifests' Services, with the selectors Argo Rollouts manages."""
        return self.rollouts.services(self.stack.manifests.services)

    # ---- queries (pure views in views.py) -----------------------------------------------

    def endpoints(self, service: str | None = None) -> list[Endpoint]:
        return views.endpoints(self.services(), self.pods.values(), service)

    def deployments(self) -> list[DeploymentStatus]:
        plain = {k: d for k, d in self.by_key.items() if d.rollout is None}
        listed = views.deployments(plain, self.desired, self.pods.values())
        return sorted(listed + self.rollouts.deployments(), key=lambda d: (d.namespace, d.name))

    # ---- AdminBackend ---------------------------------------------------------------------

    def kube_state_metrics(self) -> str:
        text = kube_state.render(self.deployments(), (p.status() for p in self.pods.values()))
        return text + (self.hpa.kube_state() if self.hpa is not None else "")

    def cadvisor_metrics(self) -> str:
        return cadvisor.export(autoscaling.container_refs(self.pods.values()))

    def autoscalers_json(self) -> dict[str, Any]:
        if self.hpa is None:
            return {"autoscalers": [], "timeline": {}}
        return {"autoscalers": self.hpa.status_json(), "timeline": self.hpa.timeline_json()}

    def status_json(self) -> dict[str, Any]:
        deployments = self.deployments()
        gw = self.stack.gateway_port
        ports = self.stack.ports
        return {
            "pid": os.getpid(),
            "startedAt": self.started_at,
            "stateDir": str(self.state.root),
            "admin": f"http://127.0.0.1:{ports.admin}",
            "prometheus": f"http://127.0.0.1:{ports.prometheus}" if self.prometheus else None,
            "gateway": f"http://127.0.0.1:{gw}" if gw is not None else None,
            "mesh": f"http://127.0.0.1:{ports.mesh_admin}" if self.mesh is not None else None,
            "deployments": [d.to_json() for d in deployments],
            "meshReady": self._mesh_ready() if self.mesh is not None else None,
            "meshPid": self.mesh.pid if self.mesh is not None else None,
            "meshRestarts": self.mesh.restarts if self.mesh is not None else None,
            "autoscalers": self.hpa.status_json() if self.hpa is not None else [],
            "ready": all(d.available for d in deployments)
            and (self.mesh is None or self._mesh_ready()),
            "stopping": self._stopping,
            "parts": self._parts(),
            "events": self.events.to_json(),
            "eventSeq": self.events.seq,
        }

    def _parts(self) -> dict[str, dict[str, Any]]:
        fork = self.starter if isinstance(self.starter, ForkServer) else None
        gw = self.stack.gateway_port
        return parts_json(
            started_at=self.started_at,
            mesh=self.mesh,
            mesh_ready=self._mesh_ready(),
            gateway=(
                f"http://127.0.0.1:{gw}"
                if gw is not None and self.mesh is not None and self.mesh.mesh.gateway
                else None
            ),
            prometheus=self.prometheus,
            fork_server=fork.proc if fork is not None else None,
            fork_server_broken=fork.broken if fork is not None else None,
        )

    def _mesh_ready(self) -> bool:
        """The mesh answers its ready path and (unless told not to wait) saw the endpoints."""
        if self.mesh is None or not self.mesh.ready:
            return False
        return not self.mesh.mesh.wait_for_endpoints or (
            self.endpoints_served >= self.endpoints_version
        )

    def pods_json(self, service: str | None) -> list[dict[str, Any]]:
        pods = sorted(self.pods.values(), key=lambda p: p.name)
        return [
            p.status().to_json()
            for p in pods
            if service is None or p.plan.deployment.app == service
        ]

    async def delete_pod(self, name: str, grace: float | None, wait: bool) -> dict[str, Any]:
        pod = self.pods.get(name)
        if pod is None:
            raise HttpError(404, f"no pod named {name!r}")
        task = self._spawn_task(pod.delete(grace))
        await asyncio.sleep(0)  # let delete() mark it Terminating before we count replicas
        self._reconcile(self._key(pod.plan.deployment))
        status = pod.status().to_json()
        if wait:
            await task
        return status

    def deployments_json(self) -> list[dict[str, Any]]:
        return [d.to_json() for d in self.deployments()]

    def scale(self, name: str, replicas: int) -> dict[str, Any]:
        if self.rollouts.scale(name, replicas):
            return next(d.to_json() for d in self.deployments() if d.name == name)
        keys = [k for k, d in self.by_key.items() if d.name == name and d.rollout is None]
        if not keys:
            raise HttpError(404, f"no Deployment named {name!r}")
        self.desired[keys[0]] = replicas
        self._reconcile(keys[0])
        return next(d.to_json() for d in self.deployments() if d.name == name)

    async def wait_endpoints(self, after: int, within: float) -> None:
        """Return once the endpoints changed past version `after`, or after `within` seconds."""
        if self.endpoints_version > after:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._endpoints_changed.wait(), within)

    def endpoints_json(self, service: str | None) -> list[dict[str, Any]]:
        if service is None:
            self.endpoints_served = self.endpoints_version
        return [e.to_json() for e in self.endpoints(service)]

    def listeners_json(self) -> list[dict[str, Any]]:
        return [x.to_json() for x in self.stack.listeners]

    def service_discovery(self) -> list[dict[str, Any]]:
        return views.service_discovery(self.pods.values())

    def rollouts_json(self) -> list[dict[str, Any]]:
        return self.rollouts.all_json()

    def rollout_json(self, name: str) -> dict[str, Any]:
        return self.rollouts.to_json(self.rollouts.get(name))

    def rollout_action(self, name: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.rollouts.act(name, action, body)

    def request_shutdown(self) -> None:
        self._shutdown.set()

    # ---- life -----------------------------------------------------------------------------

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(sig, self._shutdown.set)
        admin = AdminServer(self, self.state.token(create=True))
        ports = self.stack.ports
        await admin.start(ports.admin)
        try:
            if isinstance(self.starter, ForkServer):
                self._spawned(self.starter.proc.pid, True)
                await self.starter.connect()
                self._spawn_task(
                    watch_fork_server(self.starter.proc, self.events, lambda: self._stopping)
                )
            if self.backend is not None:
                await self.backend.start(self.stack.listeners)
            if self.stack.options.prometheus:
                self._start_prometheus()
            if self.stack.mesh is not None:
                self._start_mesh(self.stack.mesh)
            for key in sorted(self.by_key):
                self._reconcile(key)
            self.rollouts.start()
            self._start_autoscalers()
            self.state.write_json(
                self.state.controller_file,
                {
                    "pid": os.getpid(),
                    "adminPort": ports.admin,
                    "startedAt": self.started_at,
                    "prometheusPort": ports.prometheus if self.prometheus else None,
                },
            )
            log.info("controller up: %d deployments, admin on %d", len(self.by_key), ports.admin)
            await self._shutdown.wait()
        finally:
            await self._stop_all()
            await admin.stop()
            for path in (self.state.controller_file, self.state.children_file):
                path.unlink(missing_ok=True)
            log.info("controller stopped")

    def _start_autoscalers(self) -> None:
        options = self.stack.options
        self.hpa = autoscaling.start_loop(
            self,
            options.manifests,
            prometheus_url=f"http://127.0.0.1:{self.stack.ports.prometheus}"
            if self.prometheus
            else None,
            interval=options.hpa_interval,
            time_scale=options.hpa_time_scale,
        )
        if self.hpa is not None:
            self._spawn_task(self.hpa.run())

    def _start_mesh(self, mesh: MeshSettings) -> None:
        ports = self.stack.ports
        namespace = self.stack.deployments[0].namespace if self.stack.deployments else "default"
        plan = render_plan(
            mesh,
            self.stack.listeners,
            admin_port=ports.mesh_admin,
            gateway_port=ports.gateway,
            namespace=namespace,
        )
        self.mesh = MeshProcess(
            mesh,
            self.stack.config,
            self.state,
            plan=plan,
            admin_url=f"http://127.0.0.1:{ports.admin}",
            manifests=self.stack.options.manifests,
            on_spawn=self._spawned,
            starter=self.starter,
            events=self.events,
        )
        self._mesh_task = self._spawn_task(self.mesh.run())

    def _start_prometheus(self) -> None:
        c = self.stack.config.cluster.prometheus
        root = self.state.root
        plan = prometheus.PrometheusPlan(
            port=self.stack.ports.prometheus,
            admin_port=self.stack.ports.admin,
            token_file=self.state.token_file,
            config_file=root / "prometheus.yml",
            data_dir=root / "prometheus",
            file_sd_dir=root / "scrape",
            log_path=self.state.logs / "prometheus.log",
            binary=c.binary,
            scrape_interval=c.scrape_interval,
            sd_refresh_interval=c.sd_refresh_interval,
            retention=c.retention,
        )
        env = {"PATH": os.environ.get("PATH", ""), "HARNESS_STATE_DIR": str(root)}
        self.prometheus = PrometheusProcess(plan, env, on_spawn=self._spawned, events=self.events)
        self.prometheus.start()  # a missing binary fails `harness up` here, with its hint
        self._prometheus_task = self._spawn_task(self.prometheus.run())

    async def _stop_all(self) -> None:
        self._stopping = True
        await self.rollouts.stop()
        pods = list(self.pods.values())
        waits: list[Any] = [p.delete() for p in pods]
        if self.mesh is not None and self._mesh_task is not None:
            self.mesh.stop()
            waits.append(self._mesh_task)
        await asyncio.gather(*waits, return_exceptions=True)
        if isinstance(self.starter, ForkServer):
            await self.starter.close()  # last: its pods die with it
            self._spawned(self.starter.proc.pid, False)
        if self.prometheus is not None and self._prometheus_task is not None:
            self.prometheus.stop()
            with contextlib.suppress(Exception):
                await self._prometheus_task
        if self.backend is not None:
            await self.backend.stop()
        for task in list(self._tasks):
            task.cancel()
