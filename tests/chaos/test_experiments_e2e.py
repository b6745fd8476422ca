"""Every experiment in experiments/ end to end on the local target (the real sample system).

Needs the whole stack: the four services, and the mesh (with its gateway) run by the controller
(deploy/local/cluster.yaml `mesh:`). One stack for the module; the experiments run in sequence
against it, as a user would run them one after the other.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from harness.chaos.runner import local_gateway_key
from harness.mesh import faults as mesh_faults
from harness.process import spawn, stop
from tests.cluster.conftest import Stack, sample_stack
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
# Strictest hypotheses first, so no experiment inherits the previous one's errors in its 1m
# windows: payment-latency (order errors < 5 %), payment-abort (< 15 %), then the ones whose
# hypotheses do not read error ratios. Experiments without a hypothesis (smoke: a `harness run`
# scenario, tested in tests/run) are not steady-state experiments.
ORDER = [
    "payment-latency",
    "payment-abort",
    "breaker-tripping",
    "pod-kill-user-service",
    "pod-kill-inventory-service",
]
# Shortened waits (the experiments expose them as configuration); what is asserted is unchanged.
SHORT = {"fault_seconds": "5", "recovery_seconds": "5"}


def _experiments() -> list[Path]:
    found = {
        p.stem: p
        for p in (ROOT / "experiments").glob("*.yaml")
        if "steady-state-hypothesis" in yaml.safe_load(p.read_text(encoding="utf-8"))
    }
    return [found.pop(n) for n in ORDER if n in found] + sorted(found.values())


EXPERIMENTS = _experiments()


def _stack_has_gateway_and_mesh() -> bool:
    cfg = yaml.safe_load((ROOT / "deploy" / "local" / "cluster.yaml").read_text(encoding="utf-8"))
    return bool((cfg.get("mesh") or {}).get("gateway", True)) if cfg.get("mesh") else False


pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        not _stack_has_gateway_and_mesh(),
        reason="deploy/local/cluster.yaml does not run the mesh and gateway yet",
    ),
]


def _gateway(stack: Stack) -> str:
    return str(stack.up_output.get("gateway") or f"http://127.0.0.1:{stack.gateway_port}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with sample_stack(tmp_path_factory.mktemp("chaos-e2e") / "state") as s:
        yield s


@pytest.fixture(scope="module")
def traffic(stack: Stack) -> Iterator[None]:
    """A few requests a second through the gateway, so the Prometheus probes have data."""
    key = local_gateway_key(stack.state) or ""
    base = _gateway(stack)
    done = threading.Event()

    def drive() -> None:
        with httpx.Client(timeout=5.0, trust_env=False, headers={"apikey": key}) as client:
            user = client.post(
                f"{base}/api/v1/users",
                json={
                    "email": "traffic@example.com",
                    "first_name": "T",
                    "password": "traffic-pass-1",
                },
            )
            user_id = user.json().get("id", "nobody") if user.status_code == 201 else "nobody"
            client.post(f"{base}/api/v1/users/{user_id}/activate")
            while not done.wait(0.2):
                try:
                    client.get(f"{base}/api/v1/orders", params={"user_id": user_id})
                    client.post(
                        f"{base}/api/v1/orders",
                        json={
                            "user_id": user_id,
                            "items": [{"sku": "SKU-0004", "quantity": 1}],
                            "payment_method": "card",
                        },
                    )
                except httpx.HTTPError:
                    pass

    thread = threading.Thread(target=drive, daemon=True)
    thread.start()
    done.wait(8)  # warm-up: several 1 s scrapes with traffic, enough for rate() and quantiles
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=10)


def _quiet_baseline(stack: Stack, path: Path, timeout: float = 90.0) -> None:
    """Wait until earlier order errors left the 1m windows of an error-ratio probe."""
    if 'status_code=~"5.."' not in path.read_text(encoding="utf-8"):
        return
    query = 'sum(rate(http_requests_total{service_name="order-service",status_code=~"5.."}[1m]))'
    url = f"http://127.0.0.1:{stack.prometheus_port}/api/v1/query"

    def quiet() -> bool:
        result = httpx.get(url, params={"query": query}, trust_env=False).json()["data"]["result"]
        return not result or float(result[0]["value"][1]) == 0.0

    eventually(quiet, timeout=timeout, interval=2, message="order errors never left the window")


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_holds_on_the_local_target(
    path: Path, stack: Stack, traffic: None, tmp_path: Path
) -> None:
    _quiet_baseline(stack, path)
    log = tmp_path / "harness.log"
    argv = [
        sys.executable,
        "-m",
        "harness",
        "chaos",
        "run",
        str(path),
        "--target",
        "local",
        "--state-dir",
        str(stack.state),
        "--journal",
        str(tmp_path / "journal.json"),
        "--var",
        f"gateway_url=http://127.0.0.1:{stack.gateway_port}",
        "--var",
        f"prometheus_base_url=http://127.0.0.1:{stack.prometheus_port}",
        "--var",
        f"orders_record_file={tmp_path / 'orders.jsonl'}",
    ]
    config = yaml.safe_load(path.read_text(encoding="utf-8")).get("configuration") or {}
    for key, value in SHORT.items():
        if key in config:
            argv += ["--var", f"{key}={value}"]
    proc = spawn(argv, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, log_path=log)
    try:
        rc = proc.wait(timeout=240)
    except subprocess.TimeoutExpired:
        pytest.fail(log.read_text(encoding="utf-8"))
    finally:
        stop(proc)
    journal = json.loads((tmp_path / "journal.json").read_text(encoding="utf-8"))
    assert rc == 0, journal["harness"]["reason"]
    assert journal["steady_states"]["before"]["steady_state_met"]
    assert journal["steady_states"]["after"]["steady_state_met"]
    assert mesh_faults.active(mesh_faults.ledger_path(stack.state)) == []
    secret = local_gateway_key(stack.state)
    assert secret and secret not in (tmp_path / "journal.json").read_text(encoding="utf-8")
    assert secret not in log.read_text(encoding="utf-8")
