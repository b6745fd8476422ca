"""payment-service through its HTTP API, on a real SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from payment_service import SERVICE_NAME
from payment_service.app import create_app
from svc_common.testing import app_client


@pytest.fixture
def api(tmp_path) -> Iterator[TestClient]:
    with app_client(create_app, SERVICE_NAME, tmp_path) as client:
        yield client


def pay(api: TestClient, key: str, **body: object):  # type: ignore[no-untyped-def]
    payload = {"user_id": "u-1", "amount": "10.10", "method": "card", **body}
    return api.post("/api/v1/payments", json=payload, headers={"Idempotency-Key": key})


def test_a_payment_keeps_its_amount_exactly(api, tmp_path):
    created = pay(api, "k1", amount="0.30")
    assert created.status_code == 201
    body = created.json()
    assert (body["amount"], body["status"], body["currency"]) == ("0.30", "succeeded", "EUR")
    assert api.get(f"/api/v1/payments/{body['id']}").json() == body
    db = sqlite3.connect(tmp_path / "payment-service.db")
    assert db.execute("SELECT amount_cents FROM payments").fetchall() == [(30,)]
    db.close()


def test_a_repeated_key_returns_the_same_payment_and_charges_once(api, tmp_path):
    first = pay(api, "order-1")
    again = pay(api, "order-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    db = sqlite3.connect(tmp_path / "payment-service.db")
    assert db.execute("SELECT count(*) FROM payments").fetchone() == (1,)
    db.close()


def test_a_key_reused_for_another_payment_is_refused(api):
    pay(api, "order-2")
    reused = pay(api, "order-2", amount="99.00")
    assert reused.status_code == 409
    assert "Idempotency-Key was already used" in reused.json()["detail"]


def test_the_declined_test_method_is_declined_every_time(api):
    declined = pay(api, "order-3", method="declined_card")
    assert declined.status_code == 402
    body = declined.json()
    assert body["detail"].startswith("payment declined: card declined")
    assert body["payment"]["status"] == "declined"
    again = pay(api, "order-3", method="declined_card")
    assert again.status_code == 402 and again.json()["payment"]["id"] == body["payment"]["id"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"amount": "1.001"}, "amount: "),
        ({"amount": "-5"}, "amount: Input should be greater than 0"),
        ({"method": "cash"}, "method: Input should be"),
        ({"currency": "euro"}, "currency: "),
    ],
)
def test_bad_input_gets_422_naming_the_field(api, body, message):
    response = pay(api, "bad", **body)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_a_missing_key_or_payment_is_a_clear_4xx(api):
    missing_key = api.post(
        "/api/v1/payments", json={"user_id": "u", "amount": "1", "method": "card"}
    )
    assert missing_key.status_code == 422
    assert "idempotency-key: Field required" in missing_key.json()["detail"]
    assert api.get("/api/v1/payments/nope").status_code == 404
