"""Service addresses: the stable loopback port of each Service port, balancing over ready pods.

This is a replaceable component. The controller computes the listener plan (`plan_listeners`)
and pushes the endpoints of every Service into whatever `ServiceAddressBackend` deploy/local
names (`service_address: "module:callable"`); the mesh plugs in its own proxy there, or runs in a
process of its own (`service_address: external`) and reads the same plan and endpoints from the
admin API (`GET /api/v1/services`, `GET /api/v1/endpoints`).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Protocol

from harness.cluster.local.objects import Deployment, Service
from harness.contracts.cluster import Endpoint
from harness.contracts.listeners import ServiceListener
from harness.errors import ConfigError, PortInUse
from harness.process import LOOPBACK, port_is_free

_CHUNK = 64 * 1024


class ServiceAddressBackend(Protocol):
    """What the controller needs from whoever serves the Service addresses."""

    async def start(self, listeners: Sequence[ServiceListener]) -> None:
        """Bind every listener (raise PortInUse naming the port when one is taken)."""
        ...

    def update(self, service: str, namespace: str, endpoints: Sequence[Endpoint]) -> None:
        """The endpoints of one Service changed (ready and unready pods; route to ready only)."""
        ...

    async def stop(self) -> None:
        """Close every listener; open connections may be cut."""
        ...


def plan_listeners(
    services: Sequence[Service],
    *,
    port_range: tuple[int, int],
    pinned: Mapping[str, int],
    pinned_setting: Callable[[str], str],
    taken: set[int],
    sources: Sequence[Deployment] | None = None,
) -> list[ServiceListener]:
    """One listener per Service port, in sorted order so ports stay the same between runs.

    `pinned` maps "<namespace>/<name>", "<name>" or "<name>:<port name>" to a fixed port (the
    gateway, explicit `service_ports`); the rest get the first free ports of `port_range`.
    With `sources` (mesh mode) every source Deployment of the namespace gets its own listener
    per Service port instead, and Services that select no local Deployment get none.
    """
    if sources is not None:
        return _per_source(services, sources, port_range, taken)
    out: list[ServiceListener] = []
    used = set(taken)
    candidates = iter(range(port_range[0], port_range[1] + 1))
    for svc in sorted(services, key=lambda s: (s.namespace, s.name)):
        for index, sp in enumerate(svc.ports):
            keys = [f"{svc.name}:{sp.name}", f"{svc.namespace}/{svc.name}:{sp.name}"]
            if index == 0:
                keys += [svc.name, f"{svc.namespace}/{svc.name}"]
            fixed = next((pinned[k] for k in keys if k in pinned), None)
            if fixed is not None:
                if fixed in used or not port_is_free(fixed):
                    raise PortInUse(fixed, pinned_setting(svc.name))
                port = fixed
            else:
                port = _next_free(candidates, used, port_range)
            used.add(port)
            out.append(
                ServiceListener(svc.name, svc.namespace, sp.name, sp.port, port, sp.target_port)
            )
    return out


_RANGE_SETTING = "ports.services in deploy/local/cluster.yaml or --service-ports (range exhausted)"


def _next_free(candidates: Iterator[int], used: set[int], port_range: tuple[int, int]) -> int:
    port = next((p for p in candidates if p not in used and port_is_free(p)), 0)
    if not port:
        raise PortInUse(port_range[1], _RANGE_SETTING)
    return port


def _per_source(
    services: Sequence[Service],
    sources: Sequence[Deployment],
    port_range: tuple[int, int],
    taken: set[int],
) -> list[ServiceListener]:
    out: list[ServiceListener] = []
    used = set(taken)
    candidates = iter(range(port_range[0], port_range[1] + 1))
    for svc in sorted(services, key=lambda s: (s.namespace, s.name)):
        if not any(d.namespace == svc.namespace and svc.selects(d.labels) for d in sources):
            continue  # nothing local behind it (a gateway the mesh serves itself, say)
        callers = sorted((d for d in sources if d.namespace == svc.namespace), key=lambda d: d.name)
        for src in callers:
            for sp in svc.ports:
                port = _next_free(candidates, used, port_range)
                used.add(port)
                out.append(
                    ServiceListener(
                        svc.name,
                        svc.namespace,
                        sp.name,
                        sp.port,
                        port,
                        sp.target_port,
                        source_workload=src.name,
                        source_service_account=src.service_account,
                        source_labels=dict(src.labels),
                    )
                )
    return out


def load_backend(spec: str) -> ServiceAddressBackend | None:
    """`module:callable` -> a backend instance; `external` -> None (someone else binds)."""
    if spec == "external":
        return None
    module_name, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(
            "deploy/local/cluster.yaml",
            "service_address",
            f"cannot load {spec!r}: {exc}",
            "use module:callable or external",
        ) from exc
    backend: ServiceAddressBackend = factory()
    return backend


class RoundRobinBalancer:
    """The default backend: a TCP proxy per listener, round-robin over ready endpoints.

    Like kube-proxy it balances connections, not requests; with no ready endpoint a connection
    is closed at once (the client sees a reset, as with a Service without endpoints).
    """

    def __init__(self) -> None:
        self._servers: list[asyncio.Server] = []
        self._ready: dict[tuple[str, str], list[Endpoint]] = {}
        self._turn: dict[tuple[str, str], itertools.count[int]] = {}
        self._targets: dict[int, tuple[str, str, str]] = {}  # listen port -> svc, ns, targetPort
        self._conns: set[asyncio.Task[None]] = set()

    async def start(self, listeners: Sequence[ServiceListener]) -> None:
        for listener in listeners:
            key = (listener.namespace, listener.service)
            self._targets[listener.listen_port] = (*key, listener.target_port)
            self._ready.setdefault(key, [])
            self._turn.setdefault(key, itertools.count())
            try:
                server = await asyncio.start_server(
                    self._handler(listener), LOOPBACK, listener.listen_port, reuse_address=True
                )
            except OSError as exc:
                await self.stop()
                raise PortInUse(
                    listener.listen_port, f"the port of Service {listener.service}"
                ) from exc
            self._servers.append(server)

    def update(self, service: str, namespace: str, endpoints: Sequence[Endpoint]) -> None:
        self._ready[(namespace, service)] = [e for e in endpoints if e.ready]

    def pick(self, service: str, namespace: str) -> Endpoint | None:
        ready = self._ready.get((namespace, service), [])
        if not ready:
            return None
        return ready[next(self._turn[(namespace, service)]) % len(ready)]

    def _handler(
        self, listener: ServiceListener
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], asyncio.Future[None]]:
        def handle(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> asyncio.Future[None]:
            task = asyncio.ensure_future(self._proxy(listener, reader, writer))
            self._conns.add(task)
            task.add_done_callback(self._conns.discard)
            return task

        return handle

    async def _proxy(
        self, listener: ServiceListener, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        endpoint = self.pick(listener.service, listener.namespace)
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        if endpoint is not None:
            with contextlib.suppress(OSError):
                upstream = await asyncio.open_connection(endpoint.ip, endpoint.port)
        if upstream is None:
            writer.close()
            return
        up_reader, up_writer = upstream
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            writer.close()
            up_writer.close()

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._conns):
            task.cancel()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1.0)
        self._servers.clear()


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    """Copy one direction; at EOF half-close, so the other direction can still finish."""
    try:
        while data := await src.read(_CHUNK):
            dst.write(data)
            await dst.drain()
        if dst.can_write_eof():
            dst.write_eof()
    except OSError:
        dst.close()  # a reset on one side ends both directions
