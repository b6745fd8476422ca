"""Fixtures for the load tests: a small real HTTP target and a way to run `harness load`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.process import free_port, spawn, stop, wait_for_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CREDENTIALS = {
    "HARNESS_API_KEY": "test-api-key",
    "HARNESS_JWT_ISSUER": "test-issuer",
    "HARNESS_JWT_SECRET": "test-jwt-secret",
}


@dataclass(frozen=True)
class Target:
    url: str
    port: int

    def seen(self) -> dict[str, int]:
        """What the target observed so far (per route, and requests carrying x-canary)."""
        import urllib.request

        with urllib.request.urlopen(f"{self.url}/_seen", timeout=5) as answer:
            data: dict[str, int] = json.load(answer)
        return data


@pytest.fixture(scope="session")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """tests/load/target_app.py on a free loopback port, for every load test of the session."""
    port = free_port()
    log = tmp_path_factory.mktemp("target") / "target.log"
    argv = [sys.executable, str(HERE / "target_app.py"), str(port), *CREDENTIALS.values()]
    proc = spawn(argv, log_path=log)
    try:
        assert wait_for_port(port, timeout=10), log.read_text()
        yield Target(url=f"http://127.0.0.1:{port}", port=port)
    finally:
        stop(proc)


@dataclass(frozen=True)
class CliRun:
    rc: int
    output: str
    out_dir: Path

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.out_dir / "summary.json").read_text())
        return data


def run_harness(
    args: list[str], out_dir: Path, *, env: dict[str, str] | None = None, timeout: float = 90
) -> CliRun:
    """`harness <args>` in a fresh interpreter (so locust can never leak into pytest)."""
    log = out_dir.parent / f"{out_dir.name}-cli.log"
    full_env = {**os.environ, **CREDENTIALS, "LOAD_THINK_SCALE": "0.05", **(env or {})}
    proc = spawn([sys.executable, "-m", "harness", *args], env=full_env, cwd=ROOT, log_path=log)
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        rc = -1
    finally:
        stop(proc)
    return CliRun(rc=rc, output=log.read_text(errors="replace"), out_dir=out_dir)
