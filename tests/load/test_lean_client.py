"""`LeanHttpUser` (loadtests/common/client.py) reports to Locust as FastHttpUser does."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from harness.process import free_port, spawn, stop
from tests.load.conftest import HERE, Target

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def probe(target: Target, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What Locust's request event received for each exchange of lean_probe.py."""
    log = tmp_path_factory.mktemp("lean") / "probe.log"
    dead = f"http://127.0.0.1:{free_port()}"
    proc = spawn([sys.executable, str(HERE / "lean_probe.py"), target.url, dead], log_path=log)
    try:
        assert proc.wait(timeout=60) == 0, log.read_text()
    finally:
        stop(proc)
    last = log.read_text().strip().splitlines()[-1]
    result: dict[str, Any] = json.loads(last)
    return result


def test_a_success_is_recorded_with_its_name_size_and_context(probe: dict[str, Any]) -> None:
    ok = probe["events"]["ok"]
    assert ok["error"] is None and ok["status"] == 200 and ok["type"] == "GET"
    assert ok["length"] == len(b'{"ok": true}')
    assert ok["url"] == "/ok" and ok["context"] == {"cohort": "probe"}
    assert ok["time_ms"] > 0
    assert probe["bodies"]["ok"] == {"ok": True}


def test_failures_name_their_cause(probe: dict[str, Any]) -> None:
    events = probe["events"]
    # no verdict in the block: the status decides, and the failure text names it
    assert events["status-503"]["error"].startswith("CatchResponseError: HTTP 503: forced status")
    assert events["record-429"]["error"].startswith("CatchResponseError: HTTP 429: forced status")
    assert events["timeout"]["error"].startswith("CatchResponseError: timeout: ")
    assert events["timeout"]["status"] == 0
    assert events["refused"]["error"] == (
        "CatchResponseError: connection error: ConnectionRefusedError"
    )
    # without catch_response a bad status is reported at once, and a with-block is refused
    assert events["no-catch-429"]["error"].startswith("CatchResponseError: HTTP 429: ")
    assert probe["raised"]["no-catch-429"] == "LocustError"


def test_catch_response_follows_locusts_rules(probe: dict[str, Any]) -> None:
    events, raised = probe["events"], probe["raised"]
    assert events["marked-failure"]["error"] == "CatchResponseError: order total missing"
    assert events["marked-success"]["error"] is None and events["marked-success"]["status"] == 404
    # a ResponseError raised in the block is the failure; any other exception is a bug: it
    # propagates and the request is not reported
    assert events["response-error"]["error"] == "ResponseError: no items in the listing"
    assert "response-error" not in raised
    assert raised["bug"] == "ValueError" and "bug" not in events


def test_json_bodies_are_sent_and_a_host_is_required(probe: dict[str, Any]) -> None:
    assert probe["events"]["json-post"]["error"] is None
    assert probe["events"]["json-post"]["type"] == "POST"
    assert probe["bodies"]["json-post"]["email"] == "a@example.test"
    assert probe["raised"]["no-host"] == "LocustError"
