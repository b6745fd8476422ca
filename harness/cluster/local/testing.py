"""Throwaway local stacks for tests and benchmarks, started through the real CLI.

A stack in its own state folder on free loopback ports: `up_argv` builds the `harness up`
arguments, `cli` runs `python -m harness ...`, `down` stops it and then sweeps whatever a failed
start or a failing test left (every process of a stack carries `HARNESS_STATE_DIR=<state>` in
its initial environment: the controller, Prometheus, the mesh, the fork server and its pods).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.process import free_port, pid_alive, stop

# Pods and Service listeners get a private block each, below the kernel's ephemeral range
# (32768+, where `free_port` picks): stacks of other test runs on the same machine use other
# blocks, so two stacks starting at the same moment rarely plan the same ports. (The default
# ranges are shared by every stack, and a port planned while free can be taken before the pod
# or the mesh binds it.)
_BLOCKS = range(21000, 32000, 100)


def _block() -> str:
    first = random.choice(_BLOCKS)
    return f"{first}-{first + 99}"


@dataclass(frozen=True)
class StackPorts:
    """The ports of one stack: fixed ones, and the pod and Service port ranges."""

    admin: int
    gateway: int
    prometheus: int | None  # None: `--no-prometheus`
    mesh_admin: int
    pods: str | None = None  # "FIRST-LAST"; None: the configured range
    services: str | None = None

    @classmethod
    def free(cls, *, prometheus: bool = True) -> StackPorts:
        pods, services = _block(), _block()
        while services == pods:
            services = _block()
        prom = free_port() if prometheus else None
        return cls(free_port(), free_port(), prom, free_port(), pods, services)


def up_argv(
    state: Path,
    *,
    manifests: Path,
    local_config: Path,
    ports: StackPorts,
    timeout: float | None = None,
) -> list[str]:
    """`harness up --json ...` arguments for a stack in `state` on `ports`."""
    args = [
        "up",
        "--json",
        "--state-dir",
        str(state),
        "--manifests",
        str(manifests),
        "--local-config",
        str(local_config),
        "--admin-port",
        str(ports.admin),
        "--gateway-port",
        str(ports.gateway),
    ]
    if timeout is not None:
        args += ["--timeout", f"{timeout:g}"]
    args += ["--mesh-admin-port", str(ports.mesh_admin)]  # used when the config runs the mesh
    for flag, value in (("--pod-ports", ports.pods), ("--service-ports", ports.services)):
        if value is not None:
            args += [flag, value]
    if ports.prometheus is None:
        return [*args, "--no-prometheus"]
    return [*args, "--prometheus-port", str(ports.prometheus)]


def cli(
    *args: str, timeout: float = 120.0, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m harness ARGS` with this interpreter; output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def stack_processes(state: Path) -> list[int]:
    """Every live process started for the stack in `state` (they all carry its marker)."""
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


def down(state: Path, *, timeout: float = 120.0) -> None:
    """`harness down`, then a hard sweep, so that nothing of this stack keeps running."""
    try:
        cli("down", "--state-dir", str(state), timeout=timeout)
    finally:
        for pid in stack_processes(state):
            stop(pid, grace=1.0)
