"""`harness load --host` elsewhere than the local gateway: Locust gets none of its credentials.

A real Locust against a recording HTTP server on 127.0.0.1 (a host that is not the local
target), with the local target's secrets in the state folder it would read them from.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.load.conftest import run_harness

pytestmark = pytest.mark.integration

API_KEY, JWT_SECRET = "local-target-api-key-5f1e", "local-target-jwt-secret-9c2d"


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[dict[str, str]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        Recorder.seen.append({k.lower(): v for k, v in self.headers.items()})
        body = b'{"id": "1", "user_id": "1", "items": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer


@pytest.fixture
def recorder() -> Iterator[str]:
    Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _signed_with(token: str, secret: str) -> bool:
    try:
        head, payload, signature = token.split(".")
        sig = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except ValueError:
        return False
    expected = hmac.new(secret.encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return hmac.compare_digest(expected, sig)


def test_no_local_credentials_reach_a_foreign_host(tmp_path: Path, recorder: str) -> None:
    state = tmp_path / "state"
    folder = state / "secrets" / "kong-consumer-credentials"
    folder.mkdir(parents=True)
    (folder / "web-app-api-key").write_text(API_KEY)
    (folder / "web-app-jwt-secret").write_text(JWT_SECRET)
    env = {"HARNESS_STATE_DIR": str(state), "HARNESS_API_KEY": "", "HARNESS_JWT_SECRET": ""}
    out = tmp_path / "load"
    result = run_harness(
        ["load", "--host", recorder, "-u", "2", "-r", "2", "-t", "4s", "--out", str(out)],
        out,
        env={**env, "PATH": os.environ.get("PATH", "")},
    )
    assert Recorder.seen, result.output
    for headers in Recorder.seen:
        assert API_KEY not in headers.values(), headers
        token = headers.get("authorization", "").removeprefix("Bearer ")
        assert not _signed_with(token, JWT_SECRET), "a JWT signed with the local secret"
