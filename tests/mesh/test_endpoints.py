"""Where the proxy learns endpoints, and its listener plan."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.contracts.cluster import Endpoint
from harness.errors import ConfigError, CouldNotRun
from harness.mesh.endpoints import AdminEndpoints, FileEndpoints, load_plan, parse_snapshot

SNAPSHOT = {
    "endpoints": [
        {
            "service": "user-service",
            "pod": "user-service-v2-7d9f5c6b8-x2k4q",
            "ip": "127.0.0.1",
            "port": 20001,
            "ready": True,
            "labels": {"app": "user-service", "version": "v2"},
            "serviceAccount": "user-service",
            "workload": "user-service-v2",
        },
        {
            "service": "order-service",
            "pod": "o",
            "ip": "127.0.0.1",
            "port": 20002,
            "ready": False,
            "labels": {},
            "serviceAccount": "order-service",
        },
    ]
}


def test_snapshot_fields_and_the_workload_the_controller_names():
    first, second = parse_snapshot(json.dumps(SNAPSHOT), "x")
    assert first.workload == "user-service-v2" and first.label("version") == "v2"
    assert first.has_labels({"version": "v2"}) and not first.has_labels({"version": "v1"})
    assert first.key == "127.0.0.1:20001" and first.service_account == "user-service"
    assert second.workload == "order-service" and not second.ready  # absent: the service


def test_a_hand_written_snapshot_may_leave_out_all_but_service_ip_and_port():
    (only,) = parse_snapshot('{"endpoints": [{"service": "a", "ip": "127.0.0.1", "port": 1}]}', "f")
    assert only.ready and only.pod == "" and only.labels == {}
    assert only.service_account == "default" and only.workload == "a"


def test_endpoint_json_round_trips_through_the_admin_api_shape():
    (first, _) = parse_snapshot(json.dumps(SNAPSHOT), "x")
    assert Endpoint.from_json(first.to_json()) == first
    assert len({first, Endpoint.from_json(first.to_json())}) == 1  # hashable, equal by value
    assert set(first.to_json()) == {
        "service", "pod", "ip", "port", "ready", "labels", "serviceAccount", "workload"
    }  # fmt: skip


def test_bad_snapshot_names_the_field():
    with pytest.raises(ConfigError, match=r"endpoints\.0\.port"):
        parse_snapshot('{"endpoints": [{"service": "a", "ip": "127.0.0.1"}]}', "file.json")
    with pytest.raises(ConfigError, match=r"endpoints\.1: .*'x'"):
        parse_snapshot('{"endpoints": [{"service": "a", "ip": "i", "port": 1}, '
                       '{"service": "a", "ip": "i", "port": "x"}]}', "file.json")  # fmt: skip
    with pytest.raises(ConfigError, match="endpoints"):
        parse_snapshot("{}", "file.json")


def test_file_source_rereads_when_the_file_changes(tmp_path: Path):
    path = tmp_path / "e.json"
    path.write_text(json.dumps(SNAPSHOT))
    src = FileEndpoints(path)
    assert len(asyncio.run(src.snapshot())) == 2
    path.write_text(json.dumps({"endpoints": SNAPSHOT["endpoints"][:1]}))
    os.utime(path, (1, 1))  # a different mtime, whatever the clock's resolution
    assert len(asyncio.run(src.snapshot())) == 1


class _Controller(BaseHTTPRequestHandler):
    seen: list[str] = []  # request targets, in order

    def do_GET(self) -> None:
        _Controller.seen.append(self.path)
        if self.headers.get("Authorization") != "Bearer s3cr3t":
            self.send_response(401)
            self.end_headers()
            return
        body = json.dumps({**SNAPSHOT, "version": 7}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def controller() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Controller)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_admin_api_source_sends_the_token(controller: str, tmp_path: Path):
    token = tmp_path / "admin.token"
    token.write_text("s3cr3t\n")
    got = asyncio.run(AdminEndpoints(controller, token).snapshot())
    assert [e.port for e in got] == [20001, 20002]
    token.write_text("wrong")
    with pytest.raises(CouldNotRun, match="401"):
        asyncio.run(AdminEndpoints(controller, token).snapshot())


def test_admin_api_source_watches_after_the_version_it_has(controller: str, tmp_path: Path):
    """The first read is plain; the next asks the controller to answer only after version 7
    changed, so a pod that turns ready reaches the mesh at once instead of a poll later."""
    token = tmp_path / "admin.token"
    token.write_text("s3cr3t\n")
    source = AdminEndpoints(controller, token)
    _Controller.seen.clear()

    async def twice() -> None:
        await source.snapshot()
        await source.snapshot()

    asyncio.run(twice())
    assert source.watches
    assert _Controller.seen[0] == "/api/v1/endpoints"
    assert _Controller.seen[1].startswith("/api/v1/endpoints?after=7&timeout=")


def test_listener_plan_errors_name_the_field(tmp_path: Path):
    plan = tmp_path / "plan.json"
    plan.write_text('{"listeners": [{"source_workload": "a", "destination_service": "b"}]}')
    with pytest.raises(ConfigError, match=r"listeners\.0"):
        load_plan(plan)
    plan.write_text('{"gateway": {"port": 8000}, "listeners": []}')
    assert load_plan(plan).gateway is not None
