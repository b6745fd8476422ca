"""The fault ledger: recorded before applied, readable back, expiring on its own."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.errors import BadInput
from harness.mesh import faults as fl
from harness.mesh import istio_model as im
from harness.mesh.config import load_config


def test_record_read_back_remove(tmp_path):
    path = fl.ledger_path(tmp_path)
    f = fl.parse_request(
        b'{"service": "user-service", "abort": {"http_status": 503, '
        b'"percentage": 50}, "ttl_seconds": 60}'
    ).to_fault(time.time())
    fl.record(path, f)
    assert fl.active(path) == [f]
    assert f.spec().abort_p == 0.5 and f.spec().abort_status == 503
    assert fl.remove(path, f.id) is True
    assert fl.remove(path, f.id) is False  # idempotent
    assert fl.active(path) == []


def test_expired_faults_vanish(tmp_path):
    path = fl.ledger_path(tmp_path)
    now = time.time()
    req = fl.parse_request(
        b'{"service": "s", "delay": {"fixed_delay_ms": 100, "percentage": 100}, "ttl_seconds": 5}'
    )
    fl.record(path, req.to_fault(now - 10))  # expired 5 s ago
    kept = req.to_fault(now)
    fl.record(path, kept)
    assert fl.active(path) == [kept]
    assert fl.clear(path) == 1 and fl.active(path) == []


@pytest.mark.parametrize(
    "body",
    [
        b'{"service": "s", "ttl_seconds": 5}',  # neither delay nor abort
        b'{"service": "s", "abort": {"http_status": 503}, "ttl_seconds": 5}',  # no percentage
        b'{"service": "s", "abort": {"http_status": 503, "percentage": 10}}',  # no expiry
        b'{"service": "s", "abort": {"http_status": 700, "percentage": 10}, "ttl_seconds": 5}',
        b'{"service": "s", "abort": {"http_status": 503, "percent": 10}, "ttl_seconds": 5}',
    ],
)
def test_bad_fault_requests_are_refused(body):
    with pytest.raises(BadInput):
        fl.parse_request(body)


# --- which rules a chaosistio fault sits on (pure) --------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def services() -> list[im.VirtualService]:
    return load_config([ROOT / "deploy" / "kubernetes" / "istio.yaml"]).virtual_services


def _user(services: list[im.VirtualService]) -> im.VirtualService:
    return next(v for v in services if v.name == "user-service")


@pytest.mark.parametrize(
    ("routes", "rules"),
    [
        ((("user-service-preview", None),), {0}),  # the x-canary rule
        ((("user-service", None),), {1}),  # the primary rule (the active Service)
        ((("user-service", None), ("user-service-preview", None)), {0, 1}),
        ((("user-service", "v2"),), set()),  # a subset only matches a route naming it
        ((("user-service.default.svc.cluster.local", None),), set()),  # hosts as written
        ((("payment-service", "v1"),), set()),
    ],
)
def test_rules_carrying_compares_host_and_subset_exactly_as_chaosistio(
    services: list[im.VirtualService], routes: tuple[tuple[str, str | None], ...], rules: set[int]
) -> None:
    assert fl.rules_carrying(_user(services), routes) == rules


def test_refusal_names_the_missing_virtual_service_or_the_declared_destinations(
    services: list[im.VirtualService],
) -> None:
    preview = (("user-service-preview", None),)
    assert fl.refusal(services, "user-service", "default", preview) is None
    status, reason = fl.refusal(services, "users", "default", preview) or (0, "")
    assert status == 404 and "Virtual Service 'users' does not exist" in reason
    assert fl.refusal(services, "user-service", "other", preview)
    status, reason = fl.refusal(services, "user-service", "default", (("user-service", "v3"),)) or (
        0,
        "",
    )
    assert status == 422
    assert "user-service/v3" in reason and "user-service, user-service-preview" in reason


def test_virtual_service_fault_survives_the_ledger_round_trip(tmp_path: Path) -> None:
    path = fl.ledger_path(tmp_path)
    req = fl.parse_request(
        b'{"virtual_service": "user-service", "id": "f1", "routes": [{"destination": '
        b'{"host": "user-service", "subset": "v2"}}, {"destination": {"host": "user-service"}}],'
        b' "delay": {"fixed_delay_ms": 100, "percentage": 5}, "ttl_seconds": 60}'
    )
    fault = req.to_fault(time.time())
    fl.record(path, fault)
    fl.record(path, fault)  # same id replaces
    assert fl.active(path) == [fault]
    assert fault.routes == (("user-service", "v2"), ("user-service", None))
    assert fault.service == "" and fault.id == "f1"


@pytest.mark.parametrize(
    "body",
    [
        b'{"virtual_service": "v", "abort": {"http_status": 503, "percentage": 1}, '
        b'"ttl_seconds": 5}',  # no routes
        b'{"virtual_service": "v", "service": "s", "routes": [{"destination": {"host": "s"}}], '
        b'"abort": {"http_status": 503, "percentage": 1}, "ttl_seconds": 5}',  # both kinds
    ],
)
def test_virtual_service_fault_needs_routes_and_only_one_kind(body: bytes) -> None:
    with pytest.raises(BadInput):
        fl.parse_request(body)
