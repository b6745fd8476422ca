"""Mesh mode: per-caller Service listeners, the plan the mesh reads, its process supervised.

The mesh itself lives in harness/mesh; here a plain fixture process stands in for it (it only
has to answer its readiness path on the admin port), so what is checked is the controller's
side of the contract: plan file, pods' addresses, supervision, scraping, nothing left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import pytest

from harness.process import free_port
from tests.cluster.conftest import (
    FIXTURES,
    Stack,
    our_processes,
    run_cli,
    stop_state,
    up_args,
)
from tests.waiting import eventually

pytestmark = pytest.mark.integration


def _mesh_config(tmp_path: Path) -> Path:
    local = tmp_path / "local"
    shutil.copytree(FIXTURES / "local", local)
    app = str(FIXTURES / "app.py")
    images = local / "images.yaml"
    images.write_text(images.read_text().replace("{config}/..", str(FIXTURES)))
    with (local / "cluster.yaml").open("a") as fh:
        fh.write(
            "mesh:\n"
            f'  command: [env, HOST=127.0.0.1, "PORT={{mesh_admin_port}}", "{{python}}", "{app}",'
            ' "{plan}"]\n'
            "  ready_path: /health/ready\n"
            "  wait_for_endpoints: false\n"  # the stand-in does not read endpoints
        )
    return local


def test_mesh_mode_gives_each_caller_its_own_address_and_runs_the_mesh(tmp_path: Path) -> None:
    state, admin, gateway, prom = tmp_path / "state", free_port(), free_port(), free_port()
    args = up_args(
        state, admin=admin, gateway=gateway, prometheus=None, local=_mesh_config(tmp_path)
    )
    mesh_port = int(args[args.index("--mesh-admin-port") + 1])
    try:
        stack = Stack(state, admin, gateway, prom, json.loads(run_cli(*args).stdout))
        assert stack.up_output["mesh"] == f"http://127.0.0.1:{mesh_port}"
        assert stack.up_output["gateway"] == f"http://127.0.0.1:{gateway}"
        plan = json.loads((state / "mesh" / "plan.json").read_text())
        assert plan["admin_port"] == mesh_port and plan["gateway"]["port"] == gateway
        ports = {
            (x["source_workload"], x["destination_service"]): x["port"] for x in plan["listeners"]
        }
        assert {("echo", "backend"), ("backend", "backend"), ("echo", "echo")} <= set(ports)
        assert len(set(ports.values())) == len(ports)  # one port per (caller, Service)
        pods = {p["service"]: p for p in stack.status()["pods"]}
        from tests.cluster.test_local_cluster import _get

        echo_env = _get(pods["echo"]["port"], "/env").json()
        backend_env = _get(pods["backend"]["port"], "/env").json()
        assert echo_env["BACKEND_SERVICE_PORT"] == str(ports[("echo", "backend")])
        assert backend_env["BACKEND_SERVICE_PORT"] == str(ports[("backend", "backend")])
        with stack.client() as client:
            listeners = client.listeners()
        assert {(x.source_workload, x.service) for x in listeners} == set(ports)
        scrape = json.loads((state / "scrape" / "mesh.json").read_text())
        assert scrape[0]["targets"] == [f"127.0.0.1:{mesh_port}"]

        with stack.client() as client:
            first = client.status()
            os.kill(int(first["meshPid"]), signal.SIGKILL)  # the controller brings it back

            def restarted() -> dict[str, object] | None:
                s = client.status()
                return s if s["meshReady"] and s["meshPid"] != first["meshPid"] else None

            after = eventually(restarted)
        assert after["meshRestarts"] == first["meshRestarts"] + 1
        run_cli("down", "--state-dir", str(state))
        assert our_processes(state) == []
        assert not (state / "scrape" / "mesh.json").exists()
    finally:
        stop_state(state)
