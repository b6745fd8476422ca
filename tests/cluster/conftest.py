"""Fixtures for the local cluster: a real stack of the fixture app, started by the real CLI."""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.cluster.local import testing
from harness.cluster.local.client import AdminClient
from harness.process import free_port

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def run_cli(
    *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    proc = testing.cli(*args, timeout=90, env=env)
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
    timeout: int = 30,
) -> list[str]:
    ranges = testing.StackPorts.free(prometheus=False)  # private pod and Service port blocks
    ports = testing.StackPorts(
        admin, gateway, prometheus, free_port(), pods=ranges.pods, services=ranges.services
    )
    return testing.up_argv(
        state, manifests=manifests, local_config=local, ports=ports, timeout=timeout
    )


def start_stack(state: Path, *, prometheus: bool) -> Stack:
    ports = testing.StackPorts.free(prometheus=prometheus)
    try:
        out = run_cli(
            *up_args(state, admin=ports.admin, gateway=ports.gateway, prometheus=ports.prometheus)
        )
    except BaseException:
        stop_state(state)  # whatever a failed `up` may have left
        raise
    return Stack(state, ports.admin, ports.gateway, ports.prometheus, json.loads(out.stdout))


our_processes = testing.stack_processes


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


@contextlib.contextmanager
def sample_stack(state: Path, *, env: dict[str, str] | None = None) -> Iterator[Stack]:
    """The real sample system (deploy/kubernetes + deploy/local) with Prometheus, taken down
    on exit; `up` may take up to 90 s on a busy 2-core CI box. `env`: for `harness up`."""
    admin, gateway, prom = free_port(), free_port(), free_port()
    args = up_args(
        state,
        admin=admin,
        gateway=gateway,
        prometheus=prom,
        manifests=ROOT / "deploy" / "kubernetes",
        local=ROOT / "deploy" / "local",
        timeout=90,
    )
    try:
        out = run_cli(*args, env=env)
    except BaseException:
        stop_state(state)  # whatever a failed `up` may have left
        raise
    s = Stack(state, admin, gateway, prom, json.loads(out.stdout))
    try:
        yield s
    finally:
        stop_stack(s)


def stop_stack(stack: Stack) -> None:
    stop_state(stack.state)


def stop_state(state: Path) -> None:
    """`harness down`; then a hard sweep so a failing test still leaves nothing running."""
    testing.down(state, timeout=90)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One stack with Prometheus for the behaviour tests of a module."""
    s = start_stack(tmp_path_factory.mktemp("cluster") / "state", prometheus=True)
    try:
        yield s
    finally:
        stop_stack(s)
