"""The CLI side of the local target: start the controller, wait for it, stop it, read logs.

`up` validates everything in the user's terminal first (a broken manifest or a taken port is one
clear error), then starts the controller detached from the CLI (it must outlive it) and waits
until every Deployment is available and Prometheus answers.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from harness import process
from harness.cluster.local.client import AdminClient
from harness.cluster.local.stack import StackOptions, load_stack
from harness.cluster.local.state import StateDir
from harness.errors import BadInput, CouldNotRun, HarnessError, StackNotRunning
from harness.prometheus.server import find_binary

_POLL = 0.05


@dataclass(frozen=True)
class UpResult:
    already_running: bool
    status: dict[str, Any]
    seconds: float


def up(options: StackOptions, *, timeout: float = 60.0) -> UpResult:
    """Start (or find) the stack; a second `up` at the same time waits for the first.

    A stack this call started that does not become ready in time, or whose start is
    interrupted, is stopped again (logs stay): `up` either returns a ready stack or leaves
    nothing running.
    """
    state = StateDir(options.state)
    state.ensure()
    with open(state.root / "run" / "up.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _up_locked(options, state, timeout)


def _up_locked(options: StackOptions, state: StateDir, timeout: float) -> UpResult:
    started = time.monotonic()
    if state.controller() is not None:
        with AdminClient.from_state(state.root) as client:
            status = _wait_ready(client, None, state, started + timeout)
        return UpResult(True, status, time.monotonic() - started)
    state.clear_stale()  # a controller killed with SIGKILL leaves run files and maybe groups
    stack = load_stack(options)
    if options.prometheus:
        find_binary(stack.config.cluster.prometheus.binary)
    state.token(create=True)
    state.error_file.unlink(missing_ok=True)
    env = {**os.environ, "HARNESS_STATE_DIR": str(state.root)}
    proc = process.spawn(
        [sys.executable, "-m", "harness.cluster.local.daemon", *options.argv()],
        env=env,
        log_path=state.logs / "controller.log",
        die_with_parent=False,  # the controller outlives `harness up`; its children die with it
    )
    deadline = started + timeout
    # Interrupted before the stack is ready (Ctrl-C, a cancelled CI job): take it down again,
    # the user did not get a stack. Once `up` has returned, the stack outlives the command.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        while state.controller() is None:
            _raise_if_dead(proc.pid, state)
            if time.monotonic() > deadline:
                raise CouldNotRun(
                    f"the controller did not start within {timeout:g}s "
                    f"(see {state.logs / 'controller.log'})"
                )
            time.sleep(_POLL)
        with AdminClient.from_state(state.root) as client:
            status = _wait_ready(client, proc.pid, state, deadline)
    except KeyboardInterrupt:
        _take_down(proc, state)
        raise
    except CouldNotRun as exc:
        # a stack that never became ready is not left behind (its logs are)
        _take_down(proc, state)
        raise CouldNotRun(f"{exc} (stopped it; logs in {state.logs})") from exc
    finally:
        signal.signal(signal.SIGTERM, previous)
    return UpResult(False, status, time.monotonic() - started)


def _take_down(proc: subprocess.Popen[bytes], state: StateDir) -> None:
    """Stop a controller this `up` started (it stops its children), then sweep leftovers."""
    process.stop(proc, grace=30.0)
    state.clear_stale()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _raise_if_dead(pid: int, state: StateDir) -> None:
    if process.pid_alive(pid):
        return
    error = state.read_json(state.error_file)
    if error is None:
        raise CouldNotRun(f"the controller exited (see {state.logs / 'controller.log'})")
    message = str(error.get("message", "the controller failed"))
    if int(error.get("exitCode", 3)) == 2:
        raise BadInput(message)
    raise CouldNotRun(message)


def _wait_ready(
    client: AdminClient, pid: int | None, state: StateDir, deadline: float
) -> dict[str, Any]:
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        if pid is not None:
            _raise_if_dead(pid, state)
        try:
            status = client.status()
        except StackNotRunning:
            status = {}
        if status.get("ready") and _prometheus_ready(status.get("prometheus")):
            return status
        time.sleep(_POLL)
    waiting = [
        f"{d['name']} {d['readyReplicas']}/{d['replicas']} ready"
        for d in status.get("deployments", [])
        if not d.get("available")
    ]
    if status.get("meshReady") is False:
        waiting.append(f"mesh not ready (see {state.logs / 'mesh.log'})")
    if not waiting and status.get("prometheus"):
        waiting = [f"Prometheus not ready (see {state.logs / 'prometheus.log'})"]
    raise CouldNotRun(
        "stack not ready in time: "
        + (", ".join(waiting) or "controller not answering")
        + " (see `harness logs NAME`)"
    )


def _prometheus_ready(url: str | None) -> bool:
    if not url:
        return True
    try:
        return httpx.get(f"{url}/-/ready", timeout=1.0, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass(frozen=True)
class DownResult:
    was_running: bool
    leftovers_killed: int


def down(state_dir: Path, *, timeout: float = 60.0) -> DownResult:
    """Stop the controller (it stops its pods and Prometheus), then sweep anything left."""
    state = StateDir(state_dir)
    record = state.controller()
    if record is None:
        return DownResult(False, len(state.clear_stale()))
    pid = int(record["pid"])
    try:
        with AdminClient(
            f"http://127.0.0.1:{int(record['adminPort'])}", state.token(), timeout=5.0
        ) as client:
            client.shutdown()
    except HarnessError:
        process.signal_group(pid, 15)
    deadline = time.monotonic() + timeout
    while process.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(_POLL)
    process.stop(pid, grace=1.0)  # no-op when it is gone; TERM then KILL when it hangs
    return DownResult(True, len(state.clear_stale()))


def log_files(state_dir: Path, name: str) -> list[Path]:
    """Log files of a pod, or of every pod of a service/Deployment; `controller`, `prometheus`,
    `mesh`, `forkserver` (the pod fork server)."""
    state = StateDir(state_dir)
    if name in ("controller", "prometheus", "mesh", "forkserver"):
        path = state.logs / f"{name}.log"
        return [path] if path.is_file() else []
    exact = state.pod_log(name)
    if exact.is_file():
        return [exact]
    record = state.controller()
    if record is not None:
        with AdminClient.from_state(state.root) as client:
            pods = [p.name for p in client.pods() if p.service == name or p.deployment == name]
        files = [state.pod_log(p) for p in pods if state.pod_log(p).is_file()]
        if files:
            return files
    folder = state.logs / "pods"
    return sorted(folder.glob(f"{name}-*.log")) if folder.is_dir() else []


def follow(files: list[Path], *, poll: float = 0.2) -> Iterator[str]:
    """Yield new lines of `files` as they are written (prefixed by pod when several)."""
    handles = {}
    for path in files:
        fh = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115  (kept open to follow)
        fh.seek(0, os.SEEK_END)
        handles[path] = fh
    prefix = len(files) > 1
    try:
        while True:
            quiet = True
            for path, fh in handles.items():
                for line in fh:
                    quiet = False
                    yield f"[{path.stem}] {line}" if prefix else line
            if quiet:
                time.sleep(poll)
    finally:
        for fh in handles.values():
            fh.close()
