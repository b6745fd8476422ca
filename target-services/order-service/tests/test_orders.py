"""order-service's saga against real user-, inventory- and payment-service processes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from harness.process import free_port, spawn, stop
from order_service import SERVICE_NAME
from order_service.app import create_app
from svc_common import testing
from svc_common.testing import app_client, metric_value

pytestmark = pytest.mark.integration


@contextmanager
def orders(tmp_path: Path, deps: dict[str, str], **env: str) -> Iterator[TestClient]:
    urls = {f"{k.upper().replace('-', '_')}_URL": v for k, v in deps.items()}
    with app_client(create_app, SERVICE_NAME, tmp_path, **{**urls, **env}) as client:
        yield client


def active_user(deps: dict[str, str], email: str, activate: bool = True) -> str:
    users = deps["user-service"]
    body = {"email": email, "first_name": "T", "password": "password-123"}
    user_id = str(httpx.post(f"{users}/api/v1/users", json=body).json()["id"])
    if activate:
        httpx.post(f"{users}/api/v1/users/{user_id}/activate")
    return user_id


def stock(deps: dict[str, str], sku: str) -> int:
    item = httpx.get(f"{deps['inventory-service']}/api/v1/inventory/items/{sku}").json()
    return int(item["stock"])


def place(api: TestClient, user_id: str, sku: str = "SKU-0003", qty: int = 1, method: str = "card"):  # type: ignore[no-untyped-def]
    return api.post(
        "/api/v1/orders",
        json={
            "user_id": user_id,
            "items": [{"sku": sku, "quantity": qty}],
            "payment_method": method,
        },
    )


def order_rows(tmp_path: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(tmp_path / "order-service.db")
    try:
        return db.execute("SELECT status, reservation FROM orders").fetchall()
    finally:
        db.close()


def test_refusals_before_the_saga_starts_write_nothing(tmp_path, deps):
    inactive = active_user(deps, "inactive@example.com", activate=False)
    active = active_user(deps, "buyer@example.com")
    with orders(tmp_path, deps) as api:
        missing = place(api, "no-such-user")
        assert missing.status_code == 422
        assert missing.json()["detail"] == "user no-such-user does not exist"
        assert "is not active (status inactive)" in place(api, inactive).json()["detail"]
        unknown = place(api, active, sku="SKU-9999")
        assert (unknown.status_code, unknown.json()["detail"]) == (422, "unknown items: SKU-9999")
        short = place(api, active, sku="SKU-0007", qty=51)
        assert (short.status_code, short.json()["detail"]) == (
            409,
            "not enough stock for: SKU-0007",
        )
        bad_method = place(api, active, method="cash")
        assert bad_method.status_code == 422
        assert "payment_method: Input should be 'card'" in bad_method.json()["detail"]
        assert place(api, "../../inventory").status_code == 422
        assert api.get("/api/v1/orders/nope").status_code == 404
    assert order_rows(tmp_path) == []


def test_a_confirmed_order_can_be_read_back_and_listed(tmp_path, deps):
    user_id = active_user(deps, "reader@example.com")
    with orders(tmp_path, deps) as api:
        placed = place(api, user_id, sku="SKU-0008", qty=2)
        assert placed.status_code == 201
        body = placed.json()
        assert (body["status"], body["total"], body["reservation"]) == (
            "confirmed",
            "30.80",
            "reserved",
        )
        assert api.get(f"/api/v1/orders/{body['id']}").json() == body
        listed = api.get("/api/v1/orders", params={"user_id": user_id}).json()["orders"]
        assert [o["id"] for o in listed] == [body["id"]]


def test_order_service_fails_fast_with_503_when_payment_service_is_down(tmp_path, deps):
    user_id = active_user(deps, "down@example.com")
    before = stock(deps, "SKU-0003")
    down = {**deps, "payment-service": f"http://127.0.0.1:{free_port()}"}
    with orders(tmp_path, down, BREAKER_FAILURE_THRESHOLD="2") as api:
        answers = [place(api, user_id) for _ in range(4)]
        assert [a.status_code for a in answers] == [503] * 4
        assert [a.json()["reason"] for a in answers] == [
            "unreachable",
            "unreachable",
            "circuit_open",
            "circuit_open",
        ]
        opened = answers[-1]
        assert opened.json()["detail"] == (
            "payment-service is unavailable: circuit breaker for 'charge' is open"
        )
        assert opened.json()["target"] == "payment-service"
        assert int(opened.headers["retry-after"]) >= 1
        text = api.get("/metrics").text
        labels = {"service": SERVICE_NAME, "target": "payment-service", "operation": "charge"}
        assert metric_value(text, "circuit_breaker_state", labels) == 1.0
    # the two attempts that reached payment left failed orders and gave their stock back;
    # once the breaker was open, orders were refused before anything was written
    assert order_rows(tmp_path) == [("failed", "released")] * 2
    assert stock(deps, "SKU-0003") == before


def test_a_hanging_payment_service_gives_504_and_an_order_left_for_recovery(
    tmp_path, deps, hanging_url
):
    """The charge may have gone through and payment-service cannot say: the stock is given
    back at once, and the order stays pending (with its reason) until recovery settles it."""
    user_id = active_user(deps, "hang@example.com")
    before = stock(deps, "SKU-0003")
    hung = {**deps, "payment-service": hanging_url}
    with orders(tmp_path, hung, CLIENT_TIMEOUT_S="0.3") as api:
        answer = place(api, user_id)
        assert answer.status_code == 504
        assert answer.json()["detail"] == "payment-service did not answer 'charge' within 0.3s"
        assert answer.json()["order_status"] == "pending"
        order = api.get(f"/api/v1/orders/{answer.json()['order_id']}").json()
        assert (order["status"], order["reservation"]) == ("pending", "released")
        assert order["failure_reason"] == "payment-service did not answer 'charge' within 0.3s"
        # readiness reports the hung dependency without taking order-service out of rotation
        ready = api.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["checks"]["payment-service"]["status"] == "unhealthy"
    assert stock(deps, "SKU-0003") == before


def test_readiness_can_be_made_to_require_the_dependencies(tmp_path, deps):
    down = {**deps, "payment-service": f"http://127.0.0.1:{free_port()}"}
    with orders(tmp_path, down, READY_REQUIRES_DEPENDENCIES="true") as api:
        ready = api.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["user-service"]["status"] == "healthy"


def test_orders_flow_again_once_payment_service_comes_back(tmp_path, deps):
    """Open on failure, half-open trial once the recovery timeout passed, closed on success."""
    user_id = active_user(deps, "back@example.com")
    port = free_port()
    later = {**deps, "payment-service": f"http://127.0.0.1:{port}"}
    env = {
        "BREAKER_FAILURE_THRESHOLD": "1",
        "BREAKER_SUCCESS_THRESHOLD": "1",
        "BREAKER_RECOVERY_TIMEOUT_S": "0",  # the next call after opening is the trial
    }
    with orders(tmp_path, later, **env) as api:
        assert place(api, user_id).json()["reason"] == "unreachable"
        payment = spawn(
            testing.command("payment-service"),
            env=testing.environment("payment-service", port=port, data_dir=tmp_path / "pay"),
            log_path=tmp_path / "payment.log",
        )
        try:
            testing.wait_started(f"http://127.0.0.1:{port}")
            assert place(api, user_id).status_code == 201
        finally:
            stop(payment)
        text = api.get("/metrics").text
    labels = {"service": SERVICE_NAME, "target": "payment-service", "operation": "charge"}
    assert metric_value(text, "circuit_breaker_state", labels) == 0.0
    for before, after in (("closed", "open"), ("open", "half_open"), ("half_open", "closed")):
        moved = {**labels, "from_state": before, "to_state": after}
        assert (metric_value(text, "circuit_breaker_transitions_total", moved) or 0) >= 1
