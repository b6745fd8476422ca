"""The fork server: `python -m` pods are forked from a warm interpreter, yet each is its own
process (pid, process group, environment, port, log), restarts and dies like a spawned one."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.cluster.local.forkserver import child_path, module_of, startup_reason
from harness.process import pid_alive
from tests.cluster.conftest import (
    FIXTURES,
    Stack,
    run_cli,
    start_stack,
    stop_stack,
)
from tests.waiting import eventually

FORK_SERVER = b"harness.cluster.local.forkserver"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = start_stack(tmp_path_factory.mktemp("forkserver") / "state", prometheus=False)
    try:
        yield s
    finally:
        stop_stack(s)


def _get(port: int, path: str) -> Any:
    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5.0, trust_env=False).json()


def _pods(stack: Stack, service: str) -> list[dict[str, Any]]:
    return [p for p in stack.status()["pods"] if p["service"] == service]


def _cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1].split()[1])


def _fork_server_pid(stack: Stack) -> int:
    pod = _pods(stack, "echo")[0]
    return _parent(int(pod["pid"]))


@pytest.mark.integration
def test_a_forked_pod_is_a_process_of_its_own(stack: Stack) -> None:
    """Own pid, session and process group; `python -m app` semantics (argv, cwd, __main__);
    its own PORT and environment; its own log, holding only its own output."""
    echo = _pods(stack, "echo")
    assert len(echo) == 2
    server = _fork_server_pid(stack)
    seen = set()
    for pod in echo:
        pid = int(pod["pid"])
        proc = _get(pod["port"], "/process")
        assert proc["pid"] == proc["pgid"] == proc["sid"] == pid  # `harness.process.spawn` does so
        assert proc["main"] == "__main__" and proc["argv"] == [str(FIXTURES / "app.py")]
        assert proc["cwd"] == str(FIXTURES)
        assert _parent(pid) == server and FORK_SERVER in _cmdline(pid)  # forked, not exec'd
        env = _get(pod["port"], "/env")
        assert env["PORT"] == str(pod["port"]) and env["POD_NAME"] == pod["name"]
        assert "PYTHONPATH" not in env  # nothing of the fork server's own settings leaks in
        log = run_cli("logs", pod["name"], "--state-dir", str(stack.state)).stdout
        assert f"echo {pod['name']} listening on {pod['port']}" in log
        others = [p for p in echo if p["name"] != pod["name"]]
        assert all(f"listening on {p['port']}" not in log for p in others)
        seen.add(pid)
    assert len(seen) == 2


@pytest.mark.integration
def test_other_commands_are_forked_then_executed(stack: Stack) -> None:
    """A script command (not `python -m`) becomes a fresh process under the same pid."""
    (backend,) = _pods(stack, "backend")
    pid = int(backend["pid"])
    proc = _get(backend["port"], "/process")
    assert proc["pid"] == proc["pgid"] == pid and proc["main"] == "__main__"
    script = _cmdline(pid).split(b"\0")[1].decode()
    assert os.path.realpath(script) == str(FIXTURES / "app.py")  # exec'd: its own command line
    assert _parent(pid) == _fork_server_pid(stack)


@pytest.mark.integration
def test_sigkill_of_a_forked_pod_restarts_it_and_counts(stack: Stack) -> None:
    pod = _pods(stack, "echo")[0]
    os.kill(int(pod["pid"]), signal.SIGKILL)

    def restarted() -> dict[str, Any] | None:
        now = next((p for p in _pods(stack, "echo") if p["name"] == pod["name"]), None)
        return now if now and now["ready"] and now["pid"] != pod["pid"] else None

    after = eventually(restarted)
    assert after["restarts"] == pod["restarts"] + 1 and after["port"] == pod["port"]
    assert _get(after["port"], "/process")["pgid"] == after["pid"]
    log = run_cli("logs", pod["name"], "--state-dir", str(stack.state)).stdout
    assert "container exited with code -9; restart" in log


@pytest.mark.integration
def test_sigkill_of_the_fork_server_takes_its_pods_which_come_back_spawned(stack: Stack) -> None:
    """Last in the module: the fork server's pods die with it (death signal), are counted as
    restarts and come back as ordinary children of the controller."""
    server = _fork_server_pid(stack)
    before = {p["name"]: p for p in stack.status()["pods"]}
    os.kill(server, signal.SIGKILL)

    def all_back() -> list[dict[str, Any]] | None:
        pods = stack.status()["pods"]
        fresh = [p for p in pods if p["ready"] and p["pid"] != before[p["name"]]["pid"]]
        return pods if len(fresh) == len(before) == len(pods) else None

    pods = eventually(all_back, timeout=20)
    controller = json.loads((stack.state / "controller.json").read_text())["pid"]
    for pod in pods:
        assert pod["restarts"] == before[pod["name"]]["restarts"] + 1
        assert _parent(int(pod["pid"])) == controller
    assert not any(pid_alive(int(p["pid"])) for p in before.values())


# ---- the fork server's decisions (pure) ----------------------------------------------------------


def test_only_python_dash_m_of_this_interpreter_runs_in_place() -> None:
    py = sys.executable
    assert module_of((py, "-m", "user_service"), py) == "user_service"
    assert module_of((py, "-m", "locust", "-f", "x.py"), py) == "locust"
    assert module_of((py, "app.py"), py) is None
    assert module_of((py, "-X", "importtime", "-m", "x"), py) is None
    assert module_of(("/usr/bin/python3", "-m", "x"), py) is None


def test_the_pod_path_is_a_fresh_interpreters(tmp_path: Path) -> None:
    """cwd first, then PYTHONPATH (relative entries from the pod's cwd), then the base path."""
    path = child_path(str(tmp_path), "lib:/abs/shared", ["/usr/lib/python3.11", "/abs/shared"])
    assert path == [str(tmp_path), str(tmp_path / "lib"), "/abs/shared", "/usr/lib/python3.11"]


def test_a_pod_the_warm_interpreter_cannot_stand_in_for_gets_a_fresh_one(tmp_path: Path) -> None:
    """Interpreter start-up settings that differ, or a preloaded module the pod's path would
    find elsewhere, mean a fresh interpreter."""
    base = [os.path.abspath(p) for p in sys.path]
    same = {"PATH": "/bin", "LANG": "C.UTF-8"}
    assert startup_reason({**same, "PORT": "1"}, same, child_path(str(tmp_path), "", base)) is None
    reason = startup_reason({**same, "PYTHONDONTWRITEBYTECODE": "1"}, same, base)
    assert reason is not None and "PYTHONDONTWRITEBYTECODE" in reason
    assert startup_reason({**same, "LANG": "C"}, same, base) is not None
    # a folder on the pod's path that shadows a module this interpreter already imported
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "__init__.py").write_text("")
    shadowed = startup_reason(same, same, child_path(str(tmp_path), "", base))
    assert shadowed is not None and "json" in shadowed
