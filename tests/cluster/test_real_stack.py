"""The real sample system from deploy/kubernetes + deploy/local, as pods on this machine."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from harness.process import free_port
from tests.cluster.conftest import Stack, run_cli, stop_state, up_args
from tests.waiting import eventually

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


def _http(
    method: str, url: str, *, json: object = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.request(method, url, json=json, headers=headers, timeout=10.0, trust_env=False)


def test_the_sample_system_runs_and_serves_an_order(tmp_path: Path) -> None:
    """Every replica ready and scraped; requests reach the services through their addresses."""
    state = tmp_path / "state"
    admin, gateway, prom = free_port(), free_port(), free_port()
    try:
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
        pods = stack.status()["pods"]
        assert {p["service"] for p in pods} >= set(SERVICES)
        assert all(p["ready"] for p in pods)
        url = f"http://127.0.0.1:{prom}/api/v1/query"

        def scraped() -> bool:
            result = httpx.get(
                url, params={"query": 'up{job="pods"} == 1'}, trust_env=False
            ).json()["data"]["result"]
            return {r["metric"]["pod"] for r in result} >= {p["name"] for p in pods}

        eventually(scraped, timeout=20, interval=0.5)
        if stack.up_output.get("mesh"):
            _order_through_the_gateway(stack)
        else:
            with stack.client() as client:
                listeners = {x.service: x for x in client.listeners()}
            for name in SERVICES:
                r = _http("GET", f"http://127.0.0.1:{listeners[name].listen_port}/health/ready")
                assert r.status_code == 200 and r.headers["x-version"] == "v1", name
    finally:
        stop_state(state)


def _until_routed(send: Callable[[], httpx.Response]) -> httpx.Response:
    """Send again on the mesh's "no healthy upstream" (503): user-service is an Argo Rollout,
    and its Services select pods only once the controller put the revision's hash into them."""
    for _ in range(6):
        r = send()
        if r.status_code != 503:
            return r
    return r


def _order_through_the_gateway(stack: Stack) -> None:
    """Gateway -> order-service -> user, inventory, payment: each hop through the mesh."""
    gw = stack.up_output["gateway"]
    key = (stack.state / "secrets" / "kong-consumer-credentials" / "mobile-app-api-key").read_text()
    user = _until_routed(
        lambda: _http(
            "POST",
            f"{gw}/api/v1/users",
            json={
                "email": "ada@example.com",
                "first_name": "Ada",
                "last_name": "L",
                "password": "s3cret-pass",
            },
        )
    )
    assert user.status_code == 201, user.text
    user_id = user.json()["id"]
    activated = _until_routed(lambda: _http("POST", f"{gw}/api/v1/users/{user_id}/activate"))
    assert activated.status_code == 200, activated.text
    assert _http("POST", f"{gw}/api/v1/orders", json={}).status_code == 401  # key-auth
    order = _until_routed(
        lambda: _http(
            "POST",
            f"{gw}/api/v1/orders",
            headers={"apikey": key},
            json={
                "user_id": user_id,
                "payment_method": "card",
                "items": [{"sku": "SKU-0001", "quantity": 2}],
            },
        )
    )
    assert order.status_code == 201, order.text
    assert order.json()["status"] == "confirmed"
