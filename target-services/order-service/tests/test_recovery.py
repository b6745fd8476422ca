"""Saga recovery against real user-, inventory- and payment-service processes: orders a killed
process left pending are confirmed or compensated, and the books balance afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from order_service import SERVICE_NAME
from order_service.app import create_app
from order_service.store import Order, OrderLine, OrderStore, ReservationState, metadata
from svc_common.db import Database
from svc_common.testing import app_client, metric_value
from tests.waiting import eventually

pytestmark = pytest.mark.integration

SKU = "SKU-0005"


@contextmanager
def orders(tmp_path: Path, deps: dict[str, str], **env: str) -> Iterator[TestClient]:
    urls = {f"{k.upper().replace('-', '_')}_URL": v for k, v in deps.items()}
    settings = {"ORDER_RECOVERY_AFTER_S": "1", "ORDER_RECOVERY_INTERVAL_S": "0.2", **env}
    with app_client(create_app, SERVICE_NAME, tmp_path, **{**urls, **settings}) as client:
        yield client


def left_pending(tmp_path: Path, user_id: str, *, age_s: float = 60.0) -> Order:
    """What a process killed mid-saga leaves behind: a pending row, nothing else settled."""
    order = Order(
        user_id=user_id,
        lines=(OrderLine(SKU, 2, Decimal("10.00")),),
        currency="EUR",
        payment_method="card",
        reservation=ReservationState.RESERVED,
        created_at=datetime.now(UTC) - timedelta(seconds=age_s),
    )

    async def write() -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'order-service.db'}")
        await db.create_schema(metadata)
        await OrderStore(db).insert(order)
        await db.close()

    asyncio.run(write())
    return order


def reserve(deps: dict[str, str], order: Order) -> None:
    resp = httpx.post(
        f"{deps['inventory-service']}/api/v1/inventory/reservations",
        json={"items": [{"sku": SKU, "quantity": 2}]},
        headers={"Idempotency-Key": order.id},
    )
    assert resp.status_code == 201, resp.text


def charge(deps: dict[str, str], order: Order) -> str:
    resp = httpx.post(
        f"{deps['payment-service']}/api/v1/payments",
        json={"user_id": order.user_id, "amount": "20.00", "method": "card", "order_id": order.id},
        headers={"Idempotency-Key": order.id},
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def stock(deps: dict[str, str]) -> int:
    return int(
        httpx.get(f"{deps['inventory-service']}/api/v1/inventory/items/{SKU}").json()["stock"]
    )


def payment(deps: dict[str, str], order: Order) -> dict[str, str] | None:
    resp = httpx.get(f"{deps['payment-service']}/api/v1/payments/by-key/{order.id}")
    return None if resp.status_code == 404 else dict(resp.json())


def settled(api: TestClient, order: Order) -> dict[str, str]:
    found: dict[str, str] = {}

    def done() -> bool:
        found.update(api.get(f"/api/v1/orders/{order.id}").json())
        return found["status"] != "pending"

    eventually(done, timeout=10, interval=0.1, message=f"order {order.id} still pending")
    return found


def recovered(api: TestClient, outcome: str) -> float:
    labels = {"service_name": SERVICE_NAME, "outcome": outcome}
    return metric_value(api.get("/metrics").text, "orders_recovered_total", labels) or 0.0


def test_reserved_but_never_charged_is_compensated(tmp_path, deps):
    before = stock(deps)
    order = left_pending(tmp_path, "u-1")
    reserve(deps, order)
    assert stock(deps) == before - 2
    with orders(tmp_path, deps) as api:
        done = settled(api, order)
        assert (done["status"], done["reservation"]) == ("failed", "released")
        assert done["failure_reason"] == "interrupted mid-saga; compensated by recovery"
        assert recovered(api, "compensated") >= 1
    assert stock(deps) == before
    # the key is settled for good: a charge still in flight for this order is refused
    assert (payment(deps, order) or {})["status"] == "voided"
    late = httpx.post(
        f"{deps['payment-service']}/api/v1/payments",
        json={"user_id": "u-1", "amount": "20.00", "method": "card", "order_id": order.id},
        headers={"Idempotency-Key": order.id},
    )
    assert late.status_code == 409


def test_reserved_and_charged_is_confirmed(tmp_path, deps):
    order = left_pending(tmp_path, "u-2")
    reserve(deps, order)
    payment_id = charge(deps, order)
    with orders(tmp_path, deps) as api:
        done = settled(api, order)
        assert (done["status"], done["reservation"], done["payment_id"]) == (
            "confirmed",
            "reserved",
            payment_id,
        )
        assert recovered(api, "confirmed") >= 1
    assert (payment(deps, order) or {})["status"] == "succeeded"


def test_charged_without_stock_held_is_refunded(tmp_path, deps):
    """The saga's own failure path had released the stock when the lost charge went through."""
    before = stock(deps)
    order = left_pending(tmp_path, "u-3")
    payment_id = charge(deps, order)
    with orders(tmp_path, deps) as api:
        done = settled(api, order)
        assert (done["status"], done["payment_id"]) == ("failed", payment_id)
    assert (payment(deps, order) or {})["status"] == "refunded"
    assert stock(deps) == before


def test_young_pending_orders_are_left_to_their_saga(tmp_path, deps):
    order = left_pending(tmp_path, "u-4", age_s=0)
    with orders(tmp_path, deps, ORDER_RECOVERY_AFTER_S="3600") as api:
        books = api.get("/internal/orders/books").json()
        assert [p["id"] for p in books["pending"]] == [order.id]
        assert books["recovery_after_s"] == 3600
        labels = {"service_name": SERVICE_NAME, "age": "all"}
        eventually(
            lambda: metric_value(api.get("/metrics").text, "orders_pending", labels) == 1.0,
            timeout=5,
            message="orders_pending never counted the pending order",
        )
        assert api.get(f"/api/v1/orders/{order.id}").json()["status"] == "pending"
    assert payment(deps, order) is None


def test_an_order_whose_charge_answer_was_lost_is_settled_once_payments_answer(
    tmp_path, deps, hanging_url
):
    """The saga could not void at a hung payment-service: recovery does, once it answers."""
    users = deps["user-service"]
    body = {"email": "lost@example.com", "first_name": "T", "password": "password-123"}
    user_id = str(httpx.post(f"{users}/api/v1/users", json=body).json()["id"])
    httpx.post(f"{users}/api/v1/users/{user_id}/activate")
    before = stock(deps)
    hung = {**deps, "payment-service": hanging_url}
    with orders(tmp_path / "a", hung, CLIENT_TIMEOUT_S="0.3", ORDER_RECOVERY_AFTER_S="3600") as api:
        answer = api.post(
            "/api/v1/orders",
            json={
                "user_id": user_id,
                "items": [{"sku": SKU, "quantity": 1}],
                "payment_method": "card",
            },
        )
        assert answer.status_code == 504
        order_id = answer.json()["order_id"]
    with orders(tmp_path / "a", deps, ORDER_RECOVERY_AFTER_S="0") as api:
        eventually(
            lambda: api.get(f"/api/v1/orders/{order_id}").json()["status"] == "failed",
            timeout=10,
            message="the order with a lost charge was never settled",
        )
    assert stock(deps) == before
    assert (
        httpx.get(f"{deps['payment-service']}/api/v1/payments/by-key/{order_id}").json()["status"]
        == "voided"
    )
