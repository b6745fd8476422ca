"""The fault ledger: recorded before applied, readable back, expiring on its own."""

from __future__ import annotations

import time

import pytest

from harness.errors import BadInput
from harness.mesh import faults as fl


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
