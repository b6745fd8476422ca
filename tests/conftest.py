"""Shared fixtures. Tests talk to 127.0.0.1 only and pick free ports; nothing fixed."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Proxy variables in either case: httpx, urllib and the Kubernetes client honour them, and a
# developer's proxy would carry the tests' loopback traffic away.
_PROXY_VARIABLES = {
    case(name)
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    for case in (str.lower, str.upper)
}


def _from_the_developers_shell(name: str) -> bool:
    """Variables that choose a stack, a cluster or a route: a test sets the ones it needs."""
    return (
        name.startswith(("HARNESS_", "KUBERNETES_"))
        or name == "KUBECONFIG"
        or name in _PROXY_VARIABLES
    )


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts without the shell's harness, Kubernetes and proxy settings."""
    for name in [name for name in os.environ if _from_the_developers_shell(name)]:
        monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _unit_tests_start_no_process(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test that starts a process is an integration test: `-m "not integration"` stays fast."""
    if request.node.get_closest_marker("integration") is not None:
        return

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(
            f"{request.node.nodeid} starts a process: mark it `@pytest.mark.integration`"
        )

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    monkeypatch.setattr(os, "fork", refuse)


@pytest.fixture
def harness_cli() -> list[str]:
    """argv prefix that runs this checkout's CLI in a fresh interpreter."""
    return [sys.executable, "-m", "harness"]


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private state folder, so tests never touch the developer's `.harness/`."""
    path = tmp_path / "state"
    monkeypatch.setenv("HARNESS_STATE_DIR", str(path))
    return path


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    # module- and session-scoped fixtures start stacks before `_clean_environment` runs
    for name in [name for name in os.environ if _from_the_developers_shell(name)]:
        del os.environ[name]
    # platform.processor() runs `uname -p` once per interpreter (chaoslib's journal asks for
    # it): ask now, so that no unit test is the one that happens to start that process
    platform.processor()
