"""Fixtures for the local cluster: a real stack of the fixture app, started by the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from harness.cluster.local.client import AdminClient
from harness.process import free_port, pid_alive, stop

FIXTURES = Path(__file__).parent / "fixtures"
T = TypeVar("T")


def eventually(check: Callable[[], T | None], *, timeout: float = 15.0, every: float = 0.1) -> T:
    """Poll `check` until it returns something truthy; fail with the last value on timeout."""
    deadline = time.monotonic() + timeout
    value: T | None = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")


def run_cli(
    *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "harness", *args],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, **(env or {})},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"harness {' '.join(args)} -> {proc.returncode}\n{proc.stderr}")
    return proc


@dataclass
class Stack:
    state: Path
    admin_port: int
    gateway_port: int
    prometheus_port: int | None
    up_output: dict[str, Any]

    def client(self) -> AdminClient:
        return AdminClient.from_state(self.state)

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(
            run_cli("status", "--json", "--state-dir", str(self.state)).stdout
        )
        return out


def up_args(
    state: Path,
    *,
    admin: int,
    gateway: int,
    prometheus: int | None,
    manifests: Path = FIXTURES / "kubernetes",
    local: Path = FIXTURES / "local",
) -> list[str]:
    args = [
        "up",
        "--json",
        "--state-dir",
        str(state),
        "--manifests",
        str(manifests),
        "--local-config",
        str(local),
        "--admin-port",
        str(admin),
        "--gateway-port",
        str(gateway),
        "--timeout",
        "30",
        "--mesh-admin-port",  # only used when deploy/local configures the mesh
        str(free_port()),
    ]
    return args + (["--prometheus-port", str(prometheus)] if prometheus else ["--no-prometheus"])


def start_stack(state: Path, *, prometheus: bool) -> Stack:
    admin, gateway = free_port(), free_port()
    prom = free_port() if prometheus else None
    try:
        out = run_cli(*up_args(state, admin=admin, gateway=gateway, prometheus=prom))
    except BaseException:
        stop_state(state)  # whatever a failed `up` may have left
        raise
    return Stack(state, admin, gateway, prom, json.loads(out.stdout))


def our_processes(state: Path) -> list[int]:
    """Every live process started for this state folder (they all carry its marker)."""
    marker = f"HARNESS_STATE_DIR={state}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in environ and pid_alive(int(entry)):
            found.append(int(entry))
    return found


def listening(port: int) -> bool:
    """True when a socket listens on 127.0.0.1:port (read from /proc, no connection made)."""
    hexport = f"{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            for line in fh.readlines()[1:]:
                parts = line.split()
                if parts[1].endswith(":" + hexport) and parts[3] == "0A":
                    return True
    return False


def stop_stack(stack: Stack) -> None:
    stop_state(stack.state)


def stop_state(state: Path) -> None:
    """`harness down`; then a hard sweep so a failing test still leaves nothing running."""
    try:
        run_cli("down", "--state-dir", str(state), check=False)
    finally:
        for pid in our_processes(state):
            stop(pid, grace=1.0)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One stack with Prometheus for the behaviour tests of a module."""
    s = start_stack(tmp_path_factory.mktemp("cluster") / "state", prometheus=True)
    try:
        yield s
    finally:
        stop_stack(s)
