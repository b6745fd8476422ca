"""Faults through the real mesh proxy: injected, enforced, rolled back, expiring after SIGKILL.

A real `python -m harness.mesh` proxy (order-service -> payment-service listener) in front of a
real upstream; the harness runs as `python -m harness chaos run --target local`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.mesh import faults as mesh_faults
from harness.process import free_port, group_alive, spawn, stop, wait_for_port
from tests.chaos.conftest import Lab, action
from tests.waiting import eventually

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
ROUTES = [{"destination": {"host": "payment-service"}}]
VIRTUAL_SERVICE = """\
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: payment-service}
spec:
  hosts: [payment-service]
  http:
    - route:
        - destination: {host: payment-service}
"""


@dataclass
class Mesh:
    state: Path
    port: int  # order-service's listener for payment-service

    def status(self) -> int:
        return httpx.get(f"http://127.0.0.1:{self.port}/status/200", timeout=5).status_code


@pytest.fixture
def mesh(lab: Lab) -> Iterator[Mesh]:
    upstream, listener, admin = free_port(), free_port(), free_port()
    (lab.root / "cfg").mkdir()
    (lab.root / "cfg" / "payment.yaml").write_text(VIRTUAL_SERVICE, encoding="utf-8")
    endpoint = {
        "service": "payment-service",
        "pod": "payment-service-abcde",
        "ip": "127.0.0.1",
        "port": upstream,
        "labels": {"app": "payment-service", "version": "v1"},
    }
    (lab.root / "ep.json").write_text(json.dumps({"endpoints": [endpoint]}), encoding="utf-8")
    plan = {
        "admin_port": admin,
        "listeners": [
            {
                "source_workload": "order-service",
                "source_service_account": "order-service",
                "destination_service": "payment-service",
                "port": listener,
            }
        ],
    }
    (lab.root / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    procs = [
        spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "harness.mesh.testing:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(upstream),
            ],
            cwd=ROOT,
            log_path=lab.root / "up.log",
        ),
        spawn(
            [
                sys.executable,
                "-m",
                "harness.mesh",
                "--plan",
                str(lab.root / "plan.json"),
                "--config",
                str(lab.root / "cfg"),
                "--state-dir",
                str(lab.state),
                "--endpoints-file",
                str(lab.root / "ep.json"),
            ],
            cwd=ROOT,
            log_path=lab.root / "mesh.log",
        ),
    ]
    try:
        assert wait_for_port(upstream, timeout=20) and wait_for_port(listener, timeout=20)
        m = Mesh(lab.state, listener)
        eventually(
            lambda: m.status() == 200, timeout=10, message="the proxy never routed to the upstream"
        )
        yield m
    finally:
        for proc in procs:
            stop(proc)


def _abort(func: str, **arguments: Any) -> dict[str, Any]:
    return {
        "type": "action",
        "name": func,
        "provider": {
            "type": "python",
            "module": "chaosistio.fault.actions",
            "func": func,
            "arguments": {"virtual_service_name": "payment-service", "routes": ROUTES, **arguments},
        },
    }


def _aborted_through_mesh(mesh: Mesh) -> dict[str, Any]:
    return {
        "type": "probe",
        "name": "payment-calls-aborted",
        "provider": {
            "type": "python",
            "module": "harness.chaos.probes",
            "func": "fail_fast",
            "arguments": {
                "url": f"http://127.0.0.1:{mesh.port}/status/200",
                "method": "GET",
                "expected_status": 503,
                "within_ms": 2000,
                "attempts": 3,
            },
        },
    }


def _harness(lab: Lab, *args: str) -> subprocess.Popen[bytes]:
    return spawn(
        [sys.executable, "-m", "harness", *args, "--state-dir", str(lab.state)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        log_path=lab.root / "harness.log",
    )


def _finish(proc: subprocess.Popen[bytes], lab: Lab, timeout: float = 60) -> int:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(proc)
        pytest.fail((lab.root / "harness.log").read_text(encoding="utf-8"))


def _faults_json(lab: Lab) -> list[dict[str, Any]]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "chaos",
            "faults",
            "--json",
            "--state-dir",
            str(lab.state),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    faults: list[dict[str, Any]] = json.loads(out.stdout)["faults"]
    return faults


def test_abort_experiment_end_to_end_on_the_local_target(lab: Lab, mesh: Mesh) -> None:
    path = lab.experiment(
        [_abort("add_abort_fault", http_status=503, percentage=100), _aborted_through_mesh(mesh)],
        [_abort("remove_abort_fault")],
    )
    proc = _harness(lab, "chaos", "run", str(path), "--journal", str(lab.journal))
    assert _finish(proc, lab) == 0, (lab.root / "harness.log").read_text(encoding="utf-8")
    assert mesh.status() == 200
    assert mesh_faults.active(mesh_faults.ledger_path(lab.state)) == []
    journal = lab.journal_data()
    assert journal["run"][1]["status"] == "succeeded"  # the proxy really answered 503
    assert journal["harness"]["mapped"][0]["local"] == "harness.chaos.local.faults.add_abort_fault"
    assert _faults_json(lab) == []


def _wait_for_method(lab: Lab, proc: subprocess.Popen[bytes]) -> None:
    def started() -> bool:
        assert proc.poll() is None, (lab.root / "harness.log").read_text(encoding="utf-8")
        return lab.marker("method").exists()

    eventually(started, timeout=30, message="the experiment's method never started")


def test_sigint_mid_fault_removes_it_and_leaves_no_process(lab: Lab, mesh: Mesh) -> None:
    waiting = action("wait", "wait", seconds=60, marker=str(lab.marker("method")))
    path = lab.experiment(
        [_abort("add_abort_fault", http_status=503, percentage=100), waiting],
        [_abort("remove_abort_fault")],
    )
    proc = _harness(lab, "chaos", "run", str(path), "--journal", str(lab.journal))
    try:
        _wait_for_method(lab, proc)
        assert mesh.status() == 503
        os.kill(proc.pid, signal.SIGINT)
        assert _finish(proc, lab) == 130
    finally:
        stop(proc)
    assert mesh.status() == 200
    assert not group_alive(proc.pid)
    assert _faults_json(lab) == []


def test_sigkilled_harness_leaves_a_fault_that_expires_on_its_own(lab: Lab, mesh: Mesh) -> None:
    waiting = action("wait", "wait", seconds=60, marker=str(lab.marker("method")))
    path = lab.experiment(
        [_abort("add_abort_fault", http_status=503, percentage=100), waiting],
        [_abort("remove_abort_fault")],
    )
    proc = _harness(
        lab, "chaos", "run", str(path), "--journal", str(lab.journal), "--fault-ttl", "3"
    )
    try:
        _wait_for_method(lab, proc)
        os.kill(proc.pid, signal.SIGKILL)  # no rollback, no reset: only the expiry is left
        proc.wait(timeout=10)
    finally:
        stop(proc)
    listed = _faults_json(lab)
    assert [f["target"] for f in listed] == ["payment-service"] and mesh.status() == 503
    eventually(lambda: mesh.status() == 200, timeout=10, message="the fault never expired")
    assert _faults_json(lab) == []
    for _ in range(2):  # cleanup after the fact is idempotent
        done = _harness(lab, "chaos", "cleanup")
        assert _finish(done, lab) == 0
    assert mesh.status() == 200


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (
            {"routes": [{"destination": {"host": "payment-service", "subset": "v1"}}]},
            "no HTTP rule routes to payment-service/v1",  # the rule names no subset
        ),
        ({"virtual_service_name": "payments"}, "Virtual Service 'payments' does not exist"),
    ],
)
def test_fault_the_virtual_service_cannot_carry_makes_the_run_invalid(
    lab: Lab, mesh: Mesh, arguments: dict[str, Any], reason: str
) -> None:
    """Where a cluster run would end (chaosistio's "does not exist", or a patch the read-back
    finds on no rule), the local run ends too: invalid, exit 3, nothing injected."""
    path = lab.experiment(
        [_abort("add_abort_fault", http_status=503, percentage=100, **arguments)],
        [_abort("remove_abort_fault")],
    )
    proc = _harness(lab, "chaos", "run", str(path), "--journal", str(lab.journal))
    assert _finish(proc, lab) == 3, (lab.root / "harness.log").read_text(encoding="utf-8")
    invalid = " ".join(lab.journal_data()["harness"]["invalid"])
    assert reason in invalid, invalid
    assert mesh.status() == 200
    assert mesh_faults.active(mesh_faults.ledger_path(lab.state)) == []
    assert _faults_json(lab) == []
