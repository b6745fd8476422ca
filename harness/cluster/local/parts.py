"""The parts of the local stack the harness itself runs, beside the pods: their health and log.

The controller runs Prometheus, the mesh (which serves the gateway) and the fork server. A run
must know when one of them died or restarted (`harness.run.infra` turns that into "could not
judge"), so the controller keeps a numbered log of such events and shows every part's pid,
restarts and readiness in `GET /api/v1/status` under `parts` (`harness status` prints them).

`PrometheusProcess` keeps Prometheus up the way `meshlink.MeshProcess` keeps the mesh up:
restart after 0.5 s doubling to 10 s (reset after 10 s of life), ready when `/-/ready` answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from harness.cluster.local.objects import ProbeSpec
from harness.cluster.local.podprocs import SpawnedProcess, exit_future
from harness.cluster.local.probes import check
from harness.errors import HarnessError
from harness.prometheus import server as prometheus

log = logging.getLogger("harness.controller")

BACKOFF_INITIAL, BACKOFF_MAX, RESET_AFTER = 0.5, 10.0, 10.0
_KEEP = 500  # events kept; a run reads them every half second


class PartEvents:
    """A numbered log of part events (`seq` grows by one per event, never reused)."""

    def __init__(self) -> None:
        self.seq = 0
        self._events: deque[dict[str, Any]] = deque(maxlen=_KEEP)

    def add(self, part: str, what: str) -> None:
        self.seq += 1
        self._events.append({"seq": self.seq, "part": part, "at": time.time(), "what": what})
        log.warning("%s %s", part, what)

    def to_json(self) -> list[dict[str, Any]]:
        return list(self._events)


class PrometheusProcess:
    """Prometheus as a supervised child: restarted with back-off, probed for readiness."""

    def __init__(
        self,
        plan: prometheus.PrometheusPlan,
        env: Mapping[str, str],
        *,
        on_spawn: Callable[[int, bool], None],
        events: PartEvents,
    ) -> None:
        self.plan = plan
        self.env = dict(env)
        self.on_spawn = on_spawn
        self.events = events
        self.restarts = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._probe_ok = False
        self._stopping = asyncio.Event()

    def start(self) -> None:
        """The first start, before the stack counts as up: a missing binary is the caller's
        error (raised). Spawned from the loop's thread: the death signal follows the thread."""
        self.proc = prometheus.start(self.plan, env=self.env)
        self.on_spawn(self.proc.pid, True)

    @property
    def pid(self) -> int | None:
        proc = self.proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def ready(self) -> bool:
        return self._probe_ok and self.pid is not None

    def status(self) -> dict[str, Any]:
        return {"pid": self.pid, "ready": self.ready, "restarts": self.restarts}

    async def run(self) -> None:
        """Keep Prometheus up until `stop()`."""
        probe = asyncio.ensure_future(self._probe())
        backoff = BACKOFF_INITIAL
        try:
            while not self._stopping.is_set():
                if self.proc is None:
                    try:
                        self.start()
                    except (HarnessError, OSError) as exc:
                        self.events.add("prometheus", f"could not start ({exc})")
                        await self._pause(backoff)
                        backoff = min(backoff * 2, BACKOFF_MAX)
                        continue
                assert self.proc is not None
                child = SpawnedProcess(self.proc)
                began = time.monotonic()
                stopping = asyncio.ensure_future(self._stopping.wait())
                waiting: set[asyncio.Future[Any]] = {child.exited, stopping}
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if self._stopping.is_set():
                    with contextlib.suppress(BaseException):
                        await child.stop(5.0)
                    self.on_spawn(child.pid, False)
                    break
                self.on_spawn(child.pid, False)
                self._probe_ok = False
                self.proc = None
                self.restarts += 1
                if time.monotonic() - began > RESET_AFTER:
                    backoff = BACKOFF_INITIAL
                code = child.returncode
                self.events.add(
                    "prometheus",
                    f"exited (pid {child.pid}, code {code}); restarting in {backoff:g}s",
                )
                await self._pause(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
        finally:
            probe.cancel()
            self._probe_ok = False

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _probe(self) -> None:
        spec = ProbeSpec(path="/-/ready", port=str(self.plan.port), timeout=1.0)
        while True:
            self._probe_ok = await check(spec, self.plan.port)
            await asyncio.sleep(0.1 if not self._probe_ok else 0.5)

    def stop(self) -> None:
        self._stopping.set()


class _Mesh(Protocol):
    restarts: int

    @property
    def pid(self) -> int | None: ...

    @property
    def ready(self) -> bool: ...


def parts_json(
    *,
    started_at: float,
    mesh: _Mesh | None,
    mesh_ready: bool,
    gateway: str | None,
    prometheus: PrometheusProcess | None,
    fork_server: subprocess.Popen[bytes] | None,
    fork_server_broken: str | None,
) -> dict[str, dict[str, Any]]:
    """Every part the harness runs, by name: pid, ready, restarts (status `parts`)."""
    out: dict[str, dict[str, Any]] = {
        "controller": {"pid": os.getpid(), "ready": True, "restarts": 0, "startedAt": started_at}
    }
    if mesh is not None:
        out["mesh"] = {"pid": mesh.pid, "ready": mesh_ready, "restarts": mesh.restarts}
        if gateway is not None:  # the mesh process serves the gateway port
            out["gateway"] = {**out["mesh"], "servedBy": "mesh", "url": gateway}
    if prometheus is not None:
        out["prometheus"] = prometheus.status()
    if fork_server is not None:
        alive = fork_server.poll() is None
        out["forkServer"] = {
            "pid": fork_server.pid if alive else None,
            # broken: pods are spawned instead, so the stack still works without it
            "ready": alive and fork_server_broken is None,
            "restarts": 0,
            **({"broken": fork_server_broken} if fork_server_broken else {}),
        }
    return out


async def watch_fork_server(
    proc: subprocess.Popen[bytes], events: PartEvents, stopping: Callable[[], bool]
) -> None:
    """Log the fork server's death (its forked pods die with it; later pods are spawned)."""
    await exit_future(proc)  # woken by a pidfd, no polling
    if not stopping():
        events.add(
            "fork-server",
            f"exited (pid {proc.pid}, code {proc.returncode}); its pods died with it "
            "and are spawned from now on",
        )
