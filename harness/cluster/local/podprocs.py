"""How the controller starts a pod's process and watches it: spawned, or forked by the fork server.

`Starter.start(...)` returns a `PodProcess`: its pid (it leads its own process group), its
exit code once it ended (`exited`, resolved without polling), and `stop(grace)` (TERM to the
group, wait up to `grace`, KILL). Two implementations:

* `Spawner`: `harness.process.spawn`, the controller is the parent; exits come from a pidfd.
* `ForkServer`: asks the fork server (`harness.cluster.local.forkserver`, a warm interpreter that is
  the controller's child) to fork the pod; it reaps its children and reports exit codes over
  the socket. If it dies (its pods die with it) or stops answering, every later pod is spawned.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from harness import process
from harness.cluster.local.forkserver import INHERITED
from harness.errors import CouldNotRun

log = logging.getLogger("harness.controller")

# How long a fork request may wait for the fork server (it answers only after its imports).
_ANSWER_TIMEOUT = 30.0


class PodProcess(Protocol):
    pid: int

    @property
    def returncode(self) -> int | None: ...

    @property
    def exited(self) -> asyncio.Future[int]: ...

    async def stop(self, grace: float) -> None: ...


class Starter(Protocol):
    async def start(
        self, argv: Sequence[str], *, env: Mapping[str, str], cwd: str, log_path: Path
    ) -> PodProcess: ...


# ---- spawned: the controller is the parent --------------------------------------------------


class SpawnedProcess:
    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.pid = proc.pid
        self._exited = exit_future(proc)

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    @property
    def exited(self) -> asyncio.Future[int]:
        return self._exited

    async def stop(self, grace: float) -> None:
        await asyncio.to_thread(process.stop, self.proc, grace=grace)
        with contextlib.suppress(asyncio.CancelledError):
            await self._exited


class Spawner:
    async def start(
        self, argv: Sequence[str], *, env: Mapping[str, str], cwd: str, log_path: Path
    ) -> PodProcess:
        return SpawnedProcess(process.spawn(argv, env=env, cwd=cwd, log_path=log_path))


def exit_future(proc: subprocess.Popen[bytes]) -> asyncio.Future[int]:
    """A future resolved with the exit code, woken by the kernel through a pidfd (no polling)."""
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[int] = loop.create_future()
    try:
        fd = os.pidfd_open(proc.pid)
    except ProcessLookupError:
        fut.set_result(proc.wait())
        return fut

    def on_exit() -> None:
        loop.remove_reader(fd)
        os.close(fd)
        code = proc.wait()
        if not fut.done():
            fut.set_result(code)

    loop.add_reader(fd, on_exit)
    return fut


# ---- forked: the fork server is the parent -----------------------------------------------------


class ForkedProcess:
    def __init__(self, pid: int, exited: asyncio.Future[int]) -> None:
        self.pid = pid
        self._exited = exited

    @property
    def returncode(self) -> int | None:
        return self._exited.result() if self._exited.done() else None

    @property
    def exited(self) -> asyncio.Future[int]:
        return self._exited

    async def stop(self, grace: float) -> None:
        """Like `harness.process.stop`: TERM the group, wait for it to end, then KILL it."""
        deadline = time.monotonic() + grace
        if process.signal_group(self.pid, signal.SIGTERM):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._exited), grace)
            # the leader is gone; give what it started the rest of the grace period
            await asyncio.to_thread(_wait_group_gone, self.pid, deadline)
            process.signal_group(self.pid, signal.SIGKILL)
        await self._exited


def _wait_group_gone(pgid: int, deadline: float) -> None:
    while time.monotonic() < deadline and process.group_alive(pgid):
        time.sleep(0.05)


def socket_path(run_dir: Path) -> Path:
    """`<state>/run/forkserver.sock`, or a private temporary folder when that path is too long
    for a Unix socket address (108 bytes)."""
    path = run_dir / "forkserver.sock"
    if len(os.fsencode(path)) < 100:
        return path
    return Path(tempfile.mkdtemp(prefix="harness-")) / "forkserver.sock"


class ForkServer:
    """The controller's side of the fork server; `start` is a `Starter`."""

    def __init__(self, proc: subprocess.Popen[bytes], socket: Path) -> None:
        self.proc = proc
        self.socket = socket
        self._fallback = Spawner()
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[int]] = {}
        self._exits: dict[int, asyncio.Future[int]] = {}
        self.broken: str | None = None

    @classmethod
    def launch(cls, run_dir: Path, *, state_root: Path, log_path: Path) -> ForkServer:
        """Start the fork server process now (it imports while the controller reads manifests)."""
        sock = socket_path(run_dir)
        env = {k: os.environ[k] for k in INHERITED if k in os.environ}
        env["HARNESS_STATE_DIR"] = str(state_root)  # the marker stale-process sweeps look for
        # run from the folder that holds this `harness`, so the fork server is this very code
        root = Path(__file__).resolve().parents[3]
        proc = process.spawn(
            [sys.executable, "-m", "harness.cluster.local.forkserver", "--socket", str(sock)],
            env=env,
            cwd=root,
            log_path=log_path,
        )
        return cls(proc, sock)

    async def connect(self, within: float = 10.0) -> None:
        """Connect to the fork server's socket (it binds before importing anything heavy)."""
        deadline = time.monotonic() + within
        while True:
            try:
                reader, writer = await asyncio.open_unix_connection(str(self.socket))
                break
            except (FileNotFoundError, ConnectionRefusedError) as exc:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self._break(f"fork server not reachable: {exc}")
                    return
                await asyncio.sleep(0.01)
        self._writer = writer
        self._reader_task = asyncio.ensure_future(self._read(reader))

    async def start(
        self, argv: Sequence[str], *, env: Mapping[str, str], cwd: str, log_path: Path
    ) -> PodProcess:
        if self.broken is not None or self._writer is None:
            return await self._fallback.start(argv, env=env, cwd=cwd, log_path=log_path)
        self._next_id += 1
        request_id = self._next_id
        answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = answer
        log_path.parent.mkdir(parents=True, exist_ok=True)
        message = {
            "id": request_id,
            "argv": list(argv),
            "env": dict(env),
            "cwd": cwd,
            "log": str(log_path),
        }
        try:
            self._writer.write(json.dumps(message).encode() + b"\n")
            await self._writer.drain()
            pid = await asyncio.wait_for(asyncio.shield(answer), _ANSWER_TIMEOUT)
        except (OSError, CouldNotRun, TimeoutError) as exc:
            self._pending.pop(request_id, None)
            self._break(f"fork server failed: {exc or type(exc).__name__}")
            return await self._fallback.start(argv, env=env, cwd=cwd, log_path=log_path)
        return ForkedProcess(pid, self._exits[pid])

    async def _read(self, reader: asyncio.StreamReader) -> None:
        loop = asyncio.get_running_loop()
        try:
            while line := await reader.readline():
                msg: dict[str, Any] = json.loads(line)
                if "exit" in msg:
                    pid, code = int(msg["exit"]), int(msg["code"])
                    fut = self._exits.pop(pid, None)
                    if fut is not None and not fut.done():
                        fut.set_result(code)
                    continue
                answer = self._pending.pop(int(msg["id"]), None)
                if "pid" in msg:
                    pid = int(msg["pid"])
                    self._exits[pid] = loop.create_future()
                    if answer is not None and not answer.done():
                        answer.set_result(pid)
                elif answer is not None and not answer.done():
                    answer.set_exception(CouldNotRun(str(msg.get("error", "fork failed"))))
        except (OSError, ValueError, KeyError) as exc:
            log.warning("fork server: bad answer: %s", exc)
        finally:
            self._break("the fork server exited")

    def _break(self, reason: str) -> None:
        """From now on spawn. A fork server we gave up on is killed, so that no late fork
        runs beside its replacement; its pods die with it (death signal): report them killed."""
        if self.broken is None:
            self.broken = reason
            log.warning("%s; pods started from now on are spawned", reason)
        if self.proc.poll() is None:
            process.signal_group(self.proc.pid, signal.SIGKILL)
        for answer in self._pending.values():
            if not answer.done():
                answer.set_exception(CouldNotRun(reason))
        self._pending.clear()
        for fut in self._exits.values():
            if not fut.done():
                fut.set_result(-signal.SIGKILL)
        self._exits.clear()

    async def close(self) -> None:
        """Stop the fork server (after the pods: a fork server that dies takes its pods along)."""
        self.broken = self.broken or "the fork server was stopped"  # an expected exit
        if self._writer is not None:
            self._writer.close()  # it exits when the controller hangs up
        await asyncio.to_thread(process.stop, self.proc, grace=2.0)
        self._break(self.broken)
        if self._reader_task is not None:
            self._reader_task.cancel()
        with contextlib.suppress(OSError):
            self.socket.unlink(missing_ok=True)
            if self.socket.parent.name.startswith("harness-"):
                self.socket.parent.rmdir()
