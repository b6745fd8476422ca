"""One pod: a process restarted with crash-loop back-off and watched by its probes.

Kubernetes semantics (docs/parity.md, "Kubernetes probes"): the startup probe gates readiness
and liveness; readiness only moves the pod in and out of its Services' endpoints; a failed
liveness or startup probe kills the container, which is then restarted like any exited one, and
`restarts` grows.
Exits are seen through a pidfd or the fork server's report (`podprocs`), probes sleep their
period: an idle pod costs no CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.cluster.local.localconfig import Restart
from harness.cluster.local.objects import Deployment, ProbeSpec
from harness.cluster.local.podprocs import PodProcess, Spawner, Starter
from harness.cluster.local.podspec import target_port
from harness.cluster.local.probes import ProbeCounter, Verdict, check, port_open
from harness.contracts.cluster import PodPhase, PodStatus
from harness.errors import CouldNotRun

# How often the first probe of a fresh container looks for the port to open. Kubernetes probes
# blindly at the period; we probe as soon as the port listens, so `up` is not a period slower.
_PORT_POLL = 0.05


@dataclass(frozen=True)
class PodPlan:
    name: str
    deployment: Deployment
    argv: tuple[str, ...]
    cwd: str
    env: dict[str, str]
    port: int
    ports: dict[str, int] = field(default_factory=dict)
    log_path: Path = Path("/dev/null")


class Pod:
    """The runtime of one pod; `run()` is its whole life, `delete()` ends it."""

    def __init__(
        self,
        plan: PodPlan,
        *,
        restart: Restart,
        on_change: Callable[[Pod], None],
        on_spawn: Callable[[int, bool], None],
        starter: Starter | None = None,
    ) -> None:
        self.plan = plan
        self._starter = starter or Spawner()
        self._restart = restart
        self._on_change = on_change
        self._on_spawn = on_spawn  # (pgid, alive) -> the controller's record of children
        self.created_at = time.time()
        self.restarts = 0
        self.ready = False
        # the Ready condition's lastTransitionTime (the condition exists, False, from creation)
        self.ready_changed_at = self.created_at
        self.phase = PodPhase.PENDING
        self.proc: PodProcess | None = None
        self._deleting = asyncio.Event()
        self._delete_grace: float | None = None
        self._done = asyncio.Event()

    @property
    def name(self) -> str:
        return self.plan.name

    @property
    def terminating(self) -> bool:
        return self._deleting.is_set()

    def status(self) -> PodStatus:
        dep = self.plan.deployment
        pid = self.proc.pid if self.proc is not None and self.proc.returncode is None else None
        return PodStatus(
            name=self.name,
            namespace=dep.namespace,
            deployment=dep.name,
            service=dep.app,
            version=dep.version,
            phase=self.phase,
            ready=self.ready,
            restarts=self.restarts,
            pid=pid,
            port=self.plan.port,
            created_at=self.created_at,
            labels=dict(dep.labels),
            service_account=dep.service_account,
            ports=dict(self.plan.ports),
        )

    def _set(self, *, phase: PodPhase | None = None, ready: bool | None = None) -> None:
        changed = False
        if phase is not None and phase != self.phase:
            self.phase, changed = phase, True
        if ready is not None and ready != self.ready:
            self.ready, changed = ready, True
            self.ready_changed_at = time.time()
        if changed:
            self._on_change(self)

    def _note(self, text: str) -> None:
        """A line in the pod's log from the kubelet's point of view (restarts, probe kills)."""
        with contextlib.suppress(OSError), open(self.plan.log_path, "a") as fh:
            fh.write(f"--- harness {time.strftime('%H:%M:%S')}: {text}\n")

    def grace(self, override: float | None = None) -> float:
        if override is not None:
            return override
        dep = self.plan.deployment.termination_grace
        return self._restart.default_grace if dep is None else dep

    async def delete(self, grace: float | None = None) -> None:
        """Graceful (TERM, wait `grace`, KILL) like `kubectl delete pod`; 0 means forced."""
        self._delete_grace = grace
        self._deleting.set()
        self._set(phase=PodPhase.TERMINATING, ready=False)
        await self._done.wait()

    async def run(self) -> None:
        backoff = self._restart.backoff_initial
        try:
            while not self._deleting.is_set():
                started = time.monotonic()
                reason = await self._run_once()
                if self._deleting.is_set():
                    break
                self.restarts += 1
                self._note(f"{reason}; restart {self.restarts} in {backoff:g}s")
                if time.monotonic() - started >= self._restart.reset_after:
                    backoff = self._restart.backoff_initial
                self._set(phase=PodPhase.CRASH_LOOP, ready=False)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._deleting.wait(), timeout=backoff)
                backoff = min(backoff * 2, self._restart.backoff_max)
        finally:
            self._set(ready=False)
            self._done.set()

    async def _run_once(self) -> str:
        """Start the container, wait for exit / probe kill / delete; return why it ended."""
        plan = self.plan
        self._note(f"starting {' '.join(plan.argv)} on port {plan.port}")
        try:
            proc = await self._starter.start(
                plan.argv, env=plan.env, cwd=plan.cwd, log_path=plan.log_path
            )
        except (CouldNotRun, OSError) as exc:
            return f"could not start: {exc}"
        self.proc = proc
        self._on_spawn(proc.pid, True)
        self._set(phase=PodPhase.RUNNING, ready=False)
        exited = proc.exited
        probes = asyncio.ensure_future(self._probe())
        deleting = asyncio.ensure_future(self._deleting.wait())
        try:
            waiting: set[asyncio.Future[Any]] = {exited, probes, deleting}
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            probes.cancel()
            deleting.cancel()
        self._set(ready=False)
        if exited.done():
            reason = f"container exited with code {proc.returncode}"
        elif self._deleting.is_set():
            reason = "deleted"
            await proc.stop(self.grace(self._delete_grace))
        else:
            reason = probes.result() if not probes.cancelled() else "probe"
            await proc.stop(self.grace(self._probe_grace))
            reason += f" (exit code {proc.returncode})"
        with contextlib.suppress(asyncio.CancelledError):
            await exited
        self._on_spawn(proc.pid, False)
        return reason

    _probe_grace: float | None = None

    async def _probe(self) -> str:
        """Runs the probes; returns (a reason) only when the container must be killed."""
        c = self.plan.deployment.container
        if c.startup is not None:
            verdict = await self._loop(c.startup, until_success=True)
            if verdict is Verdict.FAILURE:
                self._probe_grace = c.startup.termination_grace
                return "startup probe failed"
        tasks = []
        if c.readiness is not None:
            tasks.append(asyncio.ensure_future(self._loop(c.readiness, readiness=True)))
        else:
            self._set(ready=True)
        liveness = c.liveness
        if liveness is None:
            await asyncio.gather(*tasks)
            await asyncio.Event().wait()  # nothing can kill it: wait for exit or delete
            return ""
        try:
            await self._loop(liveness)
        finally:
            for t in tasks:
                t.cancel()
        self._probe_grace = liveness.termination_grace
        return "liveness probe failed"

    async def _loop(
        self, spec: ProbeSpec, *, until_success: bool = False, readiness: bool = False
    ) -> Verdict:
        """Probe at the spec's period; readiness loops forever, startup/liveness return."""
        port = target_port(self.plan.ports, spec.port, self.plan.port)
        counter = ProbeCounter()
        await asyncio.sleep(spec.initial_delay)
        await _until_listening(port, spec.period)
        while True:
            counter = counter.observe(await check(spec, port), spec)
            if readiness:
                if counter.verdict is not Verdict.UNKNOWN:
                    self._set(ready=counter.verdict is Verdict.SUCCESS)
            elif until_success and counter.verdict is not Verdict.UNKNOWN:
                return counter.verdict  # startup: decided either way
            elif counter.verdict is Verdict.FAILURE:
                return counter.verdict  # liveness: only a failure ends it
            await asyncio.sleep(spec.period)


async def _until_listening(port: int, limit: float) -> None:
    """Return once the port accepts connections, or after `limit` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if await port_open(port):
            return
        await asyncio.sleep(_PORT_POLL)
