"""The common service app: probes, version header, metrics by template, errors as JSON."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import MetaData
from starlette.testclient import TestClient

from svc_common.app import create_service_app
from svc_common.db import Database
from svc_common.errors import Conflict
from svc_common.settings import Settings
from svc_common.testing import app_client, metric_value


def create_app(settings: Settings) -> FastAPI:
    router = APIRouter(prefix="/api/v1/things")

    @router.get("/{thing_id}")
    async def get_thing(thing_id: str) -> dict[str, str]:
        if thing_id == "bug":
            raise RuntimeError("a bug")
        if thing_id == "taken":
            raise Conflict("thing taken", thing=thing_id)
        return {"id": thing_id}

    db = Database(settings.database_url)
    return create_service_app(settings, db=db, metadata=MetaData(), routers=[router])


@pytest.fixture
def api(tmp_path) -> Iterator[TestClient]:
    with app_client(create_app, "thing-service", tmp_path, SERVICE_VERSION="v9") as client:
        yield client


def test_errors_are_json_with_the_version_header_even_for_a_bug(api):
    bug = api.get("/api/v1/things/bug")
    assert (bug.status_code, bug.json(), bug.headers["x-version"]) == (
        500,
        {"detail": "internal error"},
        "v9",
    )
    taken = api.get("/api/v1/things/taken")
    assert (taken.status_code, taken.json()) == (409, {"detail": "thing taken", "thing": "taken"})
    missing = api.get("/nowhere")
    assert (missing.status_code, missing.headers["x-version"]) == (404, "v9")


def test_metrics_label_requests_by_route_template_and_unmatched_paths_alike(tmp_path):
    # metrics are per process: a service name of its own keeps other tests' counts out
    with app_client(create_app, "label-service", tmp_path) as api:
        text = _traffic(api)
    base = {"service_name": "label-service", "method": "GET"}
    template = {**base, "endpoint": "/api/v1/things/{thing_id}"}
    assert metric_value(text, "http_requests_total", {**template, "status_code": "200"}) == 2
    assert metric_value(text, "http_requests_total", {**template, "status_code": "500"}) == 1
    assert metric_value(text, "http_requests_total", {**base, "endpoint": "unmatched"}) == 1
    assert "a1" not in text and "/random/path" not in text
    assert metric_value(text, "active_connections", {"service_name": "label-service"}) == 1


def _traffic(api: TestClient) -> str:
    for thing in ("a1", "b2", "bug"):
        api.get(f"/api/v1/things/{thing}")
    api.get("/random/path/1")
    return str(api.get("/metrics").text)


def test_a_bad_misbehaviour_value_stops_the_service_naming_the_variable():
    with pytest.raises(ValueError, match="MISBEHAVE_LATENCY_MS='slow' is not an integer"):
        Settings.from_env("thing-service", {"MISBEHAVE_LATENCY_MS": "slow"})
