"""Child processes that never outlive the harness, and small loopback port helpers.

Every process the harness starts goes through `spawn`: it gets its own process group (so a
TERM reaches its children too) and, on Linux, a parent-death signal, so that even a SIGKILL of
the harness takes it down. `stop` sends TERM to the group, waits a bounded time, then KILLs.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.errors import CouldNotRun, PortInUse

_PR_SET_PDEATHSIG = 1
LOOPBACK = "127.0.0.1"


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: SIGKILL it when the parent thread dies."""
    # prctl's death signal fires when the *thread* that forked exits; callers spawn from
    # the main thread (or a thread that lives as long as the parent process).
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def spawn(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    log_path: Path | None = None,
    die_with_parent: bool = True,
) -> subprocess.Popen[bytes]:
    """Start `argv` in a new session/process group; stdout and stderr go to `log_path`."""
    out: int | object = subprocess.DEVNULL
    handle = None
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(log_path, "ab", buffering=0)  # noqa: SIM115  (closed below, child keeps fd)
        out = handle
    try:
        return subprocess.Popen(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=str(cwd) if cwd is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=out,  # type: ignore[arg-type]  # an int or an open file, both accepted
            stderr=subprocess.STDOUT if handle is not None else subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if die_with_parent else None,
        )
    except FileNotFoundError as exc:
        raise CouldNotRun(f"cannot start {argv[0]}: not found") from exc
    finally:
        if handle is not None:
            handle.close()


def signal_group(pid: int, sig: int) -> bool:
    """Send `sig` to the process group led by `pid`; False when it is already gone."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def pid_alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().split(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def group_alive(pgid: int) -> bool:
    """True while any live (non-zombie) process remains in process group `pgid`."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().split(")", 1)[1].split()
        except (FileNotFoundError, IndexError, ProcessLookupError):
            continue
        # fields: state ppid pgrp ...
        if fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


def stop(proc: subprocess.Popen[Any] | int, *, grace: float = 5.0) -> None:
    """TERM the process group, wait up to `grace` seconds, then KILL it; reap the child."""
    pid = proc if isinstance(proc, int) else proc.pid
    if signal_group(pid, signal.SIGTERM):
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if isinstance(proc, subprocess.Popen) and proc.poll() is None:
                pass
            elif not group_alive(pid):
                break
            time.sleep(0.02)
        if signal_group(pid, signal.SIGKILL):
            # KILL is delivered asynchronously: a grandchild can still show as running for a
            # moment, and a caller that checks "nothing left" right after stop() must see none.
            deadline = time.monotonic() + 2.0
            while group_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.01)
    if isinstance(proc, subprocess.Popen):
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)


def free_port() -> int:
    """A loopback TCP port that was free a moment ago (for tests and dynamic pod ports)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:`port` and we could bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def require_free(port: int, setting: str) -> None:
    """Raise `PortInUse` naming the setting that changes `port` when it is taken."""
    if not port_is_free(port):
        raise PortInUse(port, setting)


def wait_for_port(port: int, *, timeout: float, host: str = LOOPBACK) -> bool:
    """Poll until something accepts TCP connections on host:port; False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.02)
    return False
