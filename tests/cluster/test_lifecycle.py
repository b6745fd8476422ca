"""Nothing left behind, and one clear line for every way `harness up` can be refused."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
from pathlib import Path

import pytest

from harness.process import LOOPBACK, free_port, pid_alive
from tests.cluster.conftest import (
    FIXTURES,
    listening,
    our_processes,
    run_cli,
    start_stack,
    stop_stack,
    up_args,
)
from tests.waiting import eventually

pytestmark = pytest.mark.integration


def _ports(stack_status: dict[str, object], extra: list[int]) -> list[int]:
    pods = stack_status["pods"]
    assert isinstance(pods, list)
    return [int(p["port"]) for p in pods] + extra


def test_down_leaves_no_process_and_no_port(tmp_path: Path) -> None:
    stack = start_stack(tmp_path / "state", prometheus=True)
    try:
        assert stack.prometheus_port is not None
        ports = _ports(
            stack.status(), [stack.admin_port, stack.gateway_port, stack.prometheus_port]
        )
        assert our_processes(stack.state) and all(listening(p) for p in ports)
        out = run_cli("down", "--state-dir", str(stack.state))
        assert "stack stopped" in out.stdout
        assert our_processes(stack.state) == []
        assert not any(listening(p) for p in ports)
        assert list((stack.state / "logs" / "pods").glob("echo-*.log"))  # logs stay
        again = run_cli("down", "--state-dir", str(stack.state))  # idempotent
        assert "no stack was running" in again.stdout
    finally:
        stop_stack(stack)


def test_sigkill_of_the_controller_takes_its_children_and_up_starts_clean(tmp_path: Path) -> None:
    stack = start_stack(tmp_path / "state", prometheus=False)
    try:
        ports = _ports(stack.status(), [stack.admin_port, stack.gateway_port])
        controller = json.loads((stack.state / "controller.json").read_text())["pid"]
        children = [p for p in our_processes(stack.state) if p != controller]
        pods = {int(p["pid"]) for p in stack.status()["pods"]}
        # the three pods and the fork server they were forked from
        assert len(children) == 4 and pods < set(children)

        os.kill(controller, signal.SIGKILL)
        eventually(lambda: not our_processes(stack.state), timeout=10)
        assert not any(pid_alive(p) for p in children)
        assert not any(listening(p) for p in ports)
        status = run_cli("status", "--state-dir", str(stack.state), check=False)
        assert status.returncode == 3 and "harness up" in status.stderr
        # the next up clears the stale run files and starts on the same ports
        out = run_cli(
            *up_args(
                stack.state, admin=stack.admin_port, gateway=stack.gateway_port, prometheus=None
            )
        )
        assert json.loads(out.stdout)["alreadyRunning"] is False
        assert len(stack.status()["pods"]) == 3
    finally:
        stop_stack(stack)


def test_a_taken_port_is_one_line_naming_port_and_setting(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_cli(
            *up_args(tmp_path / "s", admin=port, gateway=free_port(), prometheus=None), check=False
        )
    assert proc.returncode == 3
    assert proc.stderr.strip().splitlines() == [
        f"harness: port 127.0.0.1:{port} is already in use "
        "(change it with --admin-port or HARNESS_ADMIN_PORT)"
    ]
    assert our_processes(tmp_path / "s") == []


def test_a_broken_manifest_names_file_and_field(tmp_path: Path) -> None:
    manifests = tmp_path / "k8s"
    shutil.copytree(FIXTURES / "kubernetes", manifests)
    echo = manifests / "echo.yaml"
    echo.write_text(echo.read_text().replace("replicas: 2", "replicas: two"))
    proc = run_cli(
        *up_args(
            tmp_path / "s",
            admin=free_port(),
            gateway=free_port(),
            prometheus=None,
            manifests=manifests,
        ),
        check=False,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert str(echo) in lines[0] and "Deployment echo: spec.replicas" in lines[0]


def test_an_unmapped_image_and_a_missing_secret_are_config_errors(tmp_path: Path) -> None:
    local = tmp_path / "local"
    shutil.copytree(FIXTURES / "local", local)
    (local / "secrets.yaml").write_text("secrets: []\n")
    proc = run_cli(
        *up_args(
            tmp_path / "s", admin=free_port(), gateway=free_port(), prometheus=None, local=local
        ),
        check=False,
    )
    assert proc.returncode == 2
    assert "secretKeyRef" in proc.stderr and "echo-secret" in proc.stderr
    assert "secrets.yaml" in proc.stderr
    (local / "images.yaml").write_text("images: {}\n")
    proc = run_cli(
        *up_args(
            tmp_path / "s", admin=free_port(), gateway=free_port(), prometheus=None, local=local
        ),
        check=False,
    )
    assert proc.returncode == 2 and "containers[0].image" in proc.stderr
    assert "images.yaml" in proc.stderr


def test_missing_prometheus_says_how_to_install_it(tmp_path: Path) -> None:
    local = tmp_path / "local"
    shutil.copytree(FIXTURES / "local", local)
    with (local / "cluster.yaml").open("a") as fh:
        fh.write("prometheus: {binary: prometheus-not-installed-here}\n")
    proc = run_cli(
        *up_args(
            tmp_path / "s",
            admin=free_port(),
            gateway=free_port(),
            prometheus=free_port(),
            local=local,
        ),
        check=False,
    )
    assert proc.returncode == 3
    assert proc.stderr.strip() == (
        "harness: prometheus not found: install it with `apt-get install prometheus`"
    )


def test_a_stack_that_never_gets_ready_is_not_left_behind(tmp_path: Path) -> None:
    """`up` either returns a ready stack or stops what it started (the logs stay)."""
    manifests = tmp_path / "k8s"
    shutil.copytree(FIXTURES / "kubernetes", manifests)
    backend = manifests / "backend.yaml"
    text = backend.read_text()
    head, sep, tail = text.partition("name: never-starts")
    backend.write_text(head + sep + tail.replace("replicas: 0", "replicas: 1", 1))
    state = tmp_path / "s"
    args = up_args(
        state, admin=free_port(), gateway=free_port(), prometheus=None, manifests=manifests
    )
    args[args.index("--timeout") + 1] = "3"
    proc = run_cli(*args, check=False)
    assert proc.returncode == 3
    assert "never-starts 0/1 ready" in proc.stderr and "stopped it" in proc.stderr
    assert our_processes(state) == []
    assert list((state / "logs" / "pods").glob("never-starts-*.log"))
