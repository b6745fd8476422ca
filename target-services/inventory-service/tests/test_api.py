"""inventory-service through its HTTP API, on a real SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from inventory_service import SERVICE_NAME
from inventory_service.app import create_app
from svc_common.testing import app_client


@pytest.fixture
def api(tmp_path) -> Iterator[TestClient]:
    with app_client(create_app, SERVICE_NAME, tmp_path, INVENTORY_SEED_STOCK="10") as client:
        yield client


def stock(api: TestClient, sku: str) -> int:
    return int(api.get(f"/api/v1/inventory/items/{sku}").json()["stock"])


def reserve(api: TestClient, key: str, *lines: tuple[str, int]):  # type: ignore[no-untyped-def]
    return api.post(
        "/api/v1/inventory/reservations",
        json={"items": [{"sku": s, "quantity": q} for s, q in lines]},
        headers={"Idempotency-Key": key},
    )


def test_items_are_seeded_once_and_restarts_keep_what_was_sold(tmp_path):
    with app_client(create_app, SERVICE_NAME, tmp_path, INVENTORY_SEED_STOCK="10") as api:
        items = api.get("/api/v1/inventory/items").json()["items"]
        assert api.get("/api/v1/inventory").json()["items"] == items
        assert len(items) == 8 and {i["stock"] for i in items} == {10}
        assert items[0] == {
            "sku": "SKU-0001",
            "name": "Espresso beans 1 kg",
            "price": "24.90",
            "stock": 10,
        }
        assert reserve(api, "order-1", ("SKU-0001", 4)).status_code == 201
    with app_client(create_app, SERVICE_NAME, tmp_path, INVENTORY_SEED_STOCK="10") as api:
        assert stock(api, "SKU-0001") == 6


def test_check_reports_each_line_with_its_price(api):
    result = api.post(
        "/api/v1/inventory/check",
        json={"items": [{"sku": "SKU-0002", "quantity": 3}, {"sku": "SKU-0003", "quantity": 11}]},
    ).json()
    assert result["available"] is False
    by_sku = {x["sku"]: x for x in result["items"]}
    assert by_sku["SKU-0002"] == {
        "sku": "SKU-0002",
        "requested": 3,
        "in_stock": 10,
        "unit_price": "9.50",
        "available": True,
    }
    assert by_sku["SKU-0003"]["available"] is False
    unknown = api.post("/api/v1/inventory/check", json={"items": [{"sku": "NOPE", "quantity": 1}]})
    assert unknown.json()["items"][0]["unit_price"] is None


def test_a_reservation_is_idempotent_on_its_key(api):
    first = reserve(api, "order-7", ("SKU-0001", 2), ("SKU-0002", 1))
    assert first.status_code == 201
    again = reserve(api, "order-7", ("SKU-0002", 1), ("SKU-0001", 2))
    assert again.status_code == 200
    assert again.json() == first.json()
    assert (stock(api, "SKU-0001"), stock(api, "SKU-0002")) == (8, 9)
    reused = reserve(api, "order-7", ("SKU-0001", 5))
    assert reused.status_code == 409
    assert "already used for different items" in reused.json()["detail"]


def test_short_stock_reserves_nothing_at_all(api, tmp_path):
    response = reserve(api, "order-8", ("SKU-0001", 3), ("SKU-0002", 11))
    assert response.status_code == 409
    assert response.json()["detail"] == "not enough stock for SKU-0002 (wanted 11)"
    assert stock(api, "SKU-0001") == 10  # the first line was rolled back too
    db = sqlite3.connect(tmp_path / "inventory-service.db")
    assert db.execute("SELECT count(*) FROM reservations").fetchone() == (0,)
    db.close()


def test_release_gives_stock_back_once(api):
    reserve(api, "order-9", ("SKU-0004", 6))
    assert stock(api, "SKU-0004") == 4
    for _ in range(2):
        released = api.post("/api/v1/inventory/reservations/order-9/release")
        assert released.status_code == 200 and released.json()["status"] == "released"
    assert stock(api, "SKU-0004") == 10
    assert api.post("/api/v1/inventory/reservations/nope/release").status_code == 404


@pytest.mark.parametrize(
    ("headers", "body", "message"),
    [
        ({}, {"items": [{"sku": "SKU-0001", "quantity": 1}]}, "idempotency-key: Field required"),
        ({"Idempotency-Key": "k"}, {"items": []}, "items: List should have at least 1 item"),
        ({"Idempotency-Key": "k"}, {"items": [{"sku": "SKU-0001", "quantity": 0}]}, "quantity"),
    ],
)
def test_bad_input_gets_422_naming_the_field(api, headers, body, message):
    response = api.post("/api/v1/inventory/reservations", json=body, headers=headers)
    assert response.status_code == 422
    assert message in response.json()["detail"]
