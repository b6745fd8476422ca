"""The four sample services as real processes on loopback: an order end to end, and the
rows it leaves in each service's own SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.process import free_port, spawn, stop
from svc_common import testing

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def system(tmp_path_factory) -> Iterator[dict[str, str]]:
    """Start all four services at once (each its own data dir), wired by <NAME>_URL."""
    root = tmp_path_factory.mktemp("system")
    ports = {name: free_port() for name in testing.SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    procs = []
    try:
        for name in testing.SERVICES:
            env = testing.environment(
                name,
                port=ports[name],
                data_dir=root / name,
                urls={k: v for k, v in urls.items() if k != name},
                extra={"SERVICE_VERSION": "v7"},
            )
            procs.append(spawn(testing.command(name), env=env, log_path=root / f"{name}.log"))
        for name in testing.SERVICES:
            testing.wait_started(urls[name])
        yield {**urls, "root": str(root)}
    finally:
        for proc in procs:
            stop(proc)


def rows(db: Path, query: str, *args: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(query, args).fetchall()
    finally:
        conn.close()


def active_user(system: dict[str, str], email: str) -> str:
    users = system["user-service"]
    created = httpx.post(
        f"{users}/api/v1/users",
        json={"email": email, "first_name": "Ada", "last_name": "L", "password": "s3cret-pass"},
    )
    assert created.status_code == 201, created.text
    user_id = str(created.json()["id"])
    assert httpx.post(f"{users}/api/v1/users/{user_id}/activate").status_code == 200
    return user_id


def test_an_order_goes_through_all_four_services_and_lands_in_each_database(system):
    root = Path(system["root"])
    user_id = active_user(system, "ada@example.com")
    order = httpx.post(
        f"{system['order-service']}/api/v1/orders",
        json={
            "user_id": user_id,
            "items": [{"sku": "SKU-0001", "quantity": 2}, {"sku": "SKU-0002", "quantity": 1}],
            "payment_method": "card",
        },
        timeout=10,
    )
    assert order.status_code == 201, order.text
    body = order.json()
    assert body["status"] == "confirmed"
    assert body["total"] == "59.30"  # 2 x 24.90 + 9.50, exact decimals end to end
    assert order.headers["x-version"] == "v7"

    [order_row] = rows(root / "order-service/order-service.db", "SELECT * FROM orders")
    assert (order_row["status"], order_row["total_cents"]) == ("confirmed", 5930)
    assert order_row["payment_id"] == body["payment_id"]
    [payment] = rows(root / "payment-service/payment-service.db", "SELECT * FROM payments")
    assert (payment["id"], payment["amount_cents"], payment["status"]) == (
        body["payment_id"],
        5930,
        "succeeded",
    )
    assert payment["idempotency_key"] == body["id"]
    inventory_db = root / "inventory-service/inventory-service.db"
    [reservation] = rows(inventory_db, "SELECT * FROM reservations WHERE id = ?", body["id"])
    assert reservation["status"] == "reserved"
    stock = {r["sku"]: r["stock"] for r in rows(inventory_db, "SELECT sku, stock FROM items")}
    assert stock["SKU-0001"] == 1_000_000 - 2 and stock["SKU-0002"] == 1_000_000 - 1
    events = rows(root / "user-service/user-service.db", "SELECT event_type FROM outbox")
    assert [e["event_type"] for e in events][:2] == ["user.created", "user.activated"]

    fetched = httpx.get(f"{system['order-service']}/api/v1/orders/{body['id']}")
    assert fetched.json()["status"] == "confirmed"


def test_a_declined_payment_fails_the_order_and_gives_the_stock_back(system):
    root = Path(system["root"])
    user_id = active_user(system, "grace@example.com")
    inventory_db = root / "inventory-service/inventory-service.db"
    before = rows(inventory_db, "SELECT stock FROM items WHERE sku = 'SKU-0005'")[0]["stock"]
    order = httpx.post(
        f"{system['order-service']}/api/v1/orders",
        json={
            "user_id": user_id,
            "items": [{"sku": "SKU-0005", "quantity": 3}],
            "payment_method": "declined_card",
        },
        timeout=10,
    )
    assert order.status_code == 402, order.text
    order_id = order.json()["order_id"]
    [row] = rows(
        root / "order-service/order-service.db", "SELECT * FROM orders WHERE id = ?", order_id
    )
    assert (row["status"], row["reservation"]) == ("failed", "released")
    assert "declined" in row["failure_reason"]
    [reservation] = rows(inventory_db, "SELECT status FROM reservations WHERE id = ?", order_id)
    assert reservation["status"] == "released"
    after = rows(inventory_db, "SELECT stock FROM items WHERE sku = 'SKU-0005'")[0]["stock"]
    assert after == before
    [payment] = rows(
        root / "payment-service/payment-service.db",
        "SELECT status FROM payments WHERE idempotency_key = ?",
        order_id,
    )
    assert payment["status"] == "declined"


def test_a_service_with_a_bad_environment_exits_2_with_one_clear_line(tmp_path):
    env = testing.environment(
        "payment-service",
        port=free_port(),
        data_dir=tmp_path,
        extra={"MISBEHAVE_ERROR_RATE": "1.5"},
    )
    log = tmp_path / "payment.log"
    proc = spawn(testing.command("payment-service"), env=env, log_path=log)
    try:
        assert proc.wait(timeout=30) == 2
    finally:
        stop(proc)
    assert log.read_text().strip() == (
        "payment-service: bad environment: MISBEHAVE_ERROR_RATE=1.5 is out of range; "
        "set it to a value in [0.0, 1.0]"
    )
