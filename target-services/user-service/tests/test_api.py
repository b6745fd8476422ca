"""user-service through its HTTP API, on a real SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from svc_common.testing import app_client, metric_value
from user_service import SERVICE_NAME
from user_service.app import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def api(tmp_path) -> Iterator[TestClient]:
    with app_client(create_app, SERVICE_NAME, tmp_path, SERVICE_VERSION="v2") as client:
        yield client


def create(api: TestClient, email: str = "Ada@Example.com ", **extra: str) -> dict[str, str]:
    body = {"email": email, "first_name": "Ada", "last_name": "Lovelace", "password": PASSWORD}
    response = api.post("/api/v1/users", json={**body, **extra})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_create_normalises_the_email_and_refuses_a_duplicate_in_any_case(api):
    user = create(api)
    assert user["email"] == "ada@example.com"
    assert (user["status"], user["full_name"]) == ("inactive", "Ada Lovelace")
    again = api.post(
        "/api/v1/users",
        json={"email": "ADA@example.com", "first_name": "X", "password": PASSWORD},
    )
    assert again.status_code == 409
    assert again.json()["detail"] == "a user with email ada@example.com already exists"
    assert api.get(f"/api/v1/users/{user['id']}").json()["email"] == "ada@example.com"
    assert api.get("/api/v1/users/nope").status_code == 404


def test_passwords_are_stored_as_salted_argon2_hashes(api, tmp_path):
    create(api, "a@example.com")
    create(api, "b@example.com")
    db = sqlite3.connect(tmp_path / "user-service.db")
    hashes = [h for (h,) in db.execute("SELECT password_hash FROM users")]
    db.close()
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    assert hashes[0] != hashes[1]  # same password, different salt


def test_login_verifies_the_password_and_records_the_login(api):
    user = create(api)
    api.post(f"/api/v1/users/{user['id']}/activate")
    wrong = api.post("/api/v1/users/login", json={"email": "ada@example.com", "password": "nope"})
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "invalid email or password"
    unknown = api.post("/api/v1/users/login", json={"email": "x@example.com", "password": "x"})
    assert unknown.status_code == 401
    ok = api.post("/api/v1/users/login", json={"email": " ADA@example.com", "password": PASSWORD})
    assert ok.status_code == 200
    assert ok.json()["last_login"] is not None


def test_only_active_users_may_log_in(api):
    user = create(api)
    refused = api.post("/api/v1/users/login", json={"email": user["email"], "password": PASSWORD})
    assert refused.status_code == 403
    assert "inactive" in refused.json()["detail"]


def test_suspension_keeps_its_reason_and_blocks_activation(api):
    user = create(api)
    suspended = api.post(f"/api/v1/users/{user['id']}/suspend", json={"reason": "chargebacks"})
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["suspension_reason"] == "chargebacks"
    refused = api.post(f"/api/v1/users/{user['id']}/activate")
    assert refused.status_code == 409
    assert "suspended" in refused.json()["detail"]
    assert api.get(f"/api/v1/users/{user['id']}").json()["status"] == "suspended"


def test_the_active_list_holds_only_active_users(api):
    a = create(api, "a@example.com")
    create(api, "b@example.com")
    api.post(f"/api/v1/users/{a['id']}/activate")
    listed = api.get("/api/v1/users").json()
    assert [u["id"] for u in listed["users"]] == [a["id"]]


def test_domain_events_are_readable_in_order_from_the_outbox(api):
    user = create(api)
    api.post(f"/api/v1/users/{user['id']}/activate")
    api.post(f"/api/v1/users/{user['id']}/activate")  # already active: no second event
    api.post("/api/v1/users/login", json={"email": user["email"], "password": PASSWORD})
    page = api.get("/api/v1/users/events").json()
    assert [e["type"] for e in page["events"]] == ["user.created", "user.activated", "user.login"]
    assert {e["user_id"] for e in page["events"]} == {user["id"]}
    rest = api.get("/api/v1/users/events", params={"after": page["events"][1]["id"]}).json()
    assert [e["type"] for e in rest["events"]] == ["user.login"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"email": "not-an-email", "first_name": "A", "password": PASSWORD}, "email: "),
        ({"email": "a@example.com", "first_name": "A", "password": "short"}, "password: "),
        ({"email": "a@example.com", "password": PASSWORD}, "first_name: Field required"),
    ],
)
def test_bad_input_gets_422_naming_the_field(api, body, message):
    response = api.post("/api/v1/users", json=body)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_health_version_header_and_metrics_by_route_template(api):
    user = create(api)
    api.get(f"/api/v1/users/{user['id']}")
    for probe in ("live", "ready", "startup"):
        response = api.get(f"/health/{probe}")
        assert response.status_code == 200
        assert response.headers["x-version"] == "v2"
        assert response.json()["version"] == "v2"
    assert api.get("/health/ready").json()["checks"]["database"]["status"] == "healthy"
    text = api.get("/metrics").text
    labels = {"endpoint": "/api/v1/users/{user_id}", "method": "GET", "service_name": SERVICE_NAME}
    assert (metric_value(text, "http_requests_total", {**labels, "status_code": "200"}) or 0) >= 1
    assert user["id"] not in text  # never the raw path
    assert metric_value(text, "business_events_total", {"event_type": "user_created"})
    assert metric_value(text, "database_operation_duration_seconds_count", {"table": "users"})


def test_the_misbehaviour_switch_fails_api_calls_but_not_probes(tmp_path):
    with app_client(create_app, SERVICE_NAME, tmp_path, MISBEHAVE_ERROR_RATE="1") as api:
        response = api.get("/api/v1/users")
        assert response.status_code == 500
        assert "MISBEHAVE_ERROR_RATE" in response.json()["detail"]
        assert api.get("/health/ready").status_code == 200
