"""The real sample system from deploy/kubernetes + deploy/local, as pods on this machine."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from harness.process import free_port
from tests.cluster.conftest import Stack, eventually, run_cli, stop_stack, up_args

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
SERVICES = ("user-service", "order-service", "payment-service", "inventory-service")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not all((MANIFESTS / f"{s}.yaml").is_file() for s in SERVICES),
        reason="the sample services' manifests are not in this checkout",
    ),
]


def test_the_sample_system_runs_ready_behind_service_addresses(tmp_path: Path) -> None:
    """Every replica ready, each Service answers on its address, Prometheus scrapes every pod."""
    state = tmp_path / "state"
    admin, gateway, prom = free_port(), free_port(), free_port()
    out = run_cli(
        *up_args(
            state,
            admin=admin,
            gateway=gateway,
            prometheus=prom,
            manifests=MANIFESTS,
            local=ROOT / "deploy" / "local",
        )
    )
    stack = Stack(state, admin, gateway, prom, json.loads(out.stdout))
    try:
        pods = stack.status()["pods"]
        assert {p["service"] for p in pods} >= set(SERVICES)
        assert all(p["ready"] for p in pods)
        with stack.client() as client:
            listeners = {x.service: x for x in client.listeners()}
        for name in SERVICES:
            r = httpx.get(
                f"http://127.0.0.1:{listeners[name].listen_port}/health/ready",
                timeout=5.0,
                trust_env=False,
            )
            assert r.status_code == 200 and r.headers["x-version"] == "v1", name
        url = f"http://127.0.0.1:{prom}/api/v1/query"

        def scraped() -> bool:
            result = httpx.get(
                url, params={"query": 'up{job="pods"} == 1'}, trust_env=False
            ).json()["data"]["result"]
            return {r["metric"]["pod"] for r in result} >= {p["name"] for p in pods}

        eventually(scraped, timeout=20, every=0.5)
        if stack.up_output["gateway"]:  # with the mesh: the gateway routes to user-service
            r = httpx.post(
                f"{stack.up_output['gateway']}/api/v1/users",
                json={
                    "email": "ada@example.com",
                    "first_name": "Ada",
                    "last_name": "L",
                    "password": "s3cret-pass",
                },
                timeout=10.0,
                trust_env=False,
            )
            assert r.status_code == 201 and r.headers["x-version"] == "v1", r.text
    finally:
        stop_stack(stack)
