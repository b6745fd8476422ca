"""A small real HTTP target for the load tests.

`python target_app.py PORT API_KEY JWT_ISSUER JWT_SECRET`.

Trivial routes (`/ok`, `/status/<code>`, `/sleep/<seconds>`) let tests assert failure causes;
a miniature of the shop API (users, inventory, orders with an API key, payments with an HS256
JWT) lets the real locustfile run its journeys. `GET /_seen` returns what the target observed.
Standard library only, so it starts fast and never imports locust.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SEEN: Counter[str] = Counter()
LOCK = threading.RLock()
USERS: dict[str, dict[str, object]] = {}
ORDERS: dict[str, dict[str, object]] = {}
API_KEY, JWT_ISSUER, JWT_SECRET = "", "", ""


def _valid_jwt(header: str) -> bool:
    if not header.startswith("Bearer "):
        return False
    try:
        head, payload, signature = header[7:].split(".")
        expected = hmac.new(JWT_SECRET.encode(), f"{head}.{payload}".encode(), hashlib.sha256)
        sig = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return False
    return (
        hmac.compare_digest(expected.digest(), sig)
        and claims.get("iss") == JWT_ISSUER
        and float(claims.get("exp", 0)) > time.time()
    )


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: object = None) -> None:
        data = json.dumps(body if body is not None else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, object]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        value = json.loads(raw or b"{}")
        return value if isinstance(value, dict) else {}

    def _count(self, key: str) -> None:
        with LOCK:
            SEEN[key] += 1
            if self.headers.get("x-canary") == "true":
                SEEN["canary"] += 1

    def do_GET(self) -> None:
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts == ["_seen"]:
            with LOCK:
                return self._send(200, dict(SEEN))
        if parts == ["ok"]:
            self._count("ok")
            return self._send(200, {"ok": True})
        if len(parts) == 2 and parts[0] == "status":
            self._count(f"status {parts[1]}")
            return self._send(
                int(parts[1]), {"message": f"forced status for request {time.time()}"}
            )
        if len(parts) == 2 and parts[0] == "sleep":
            time.sleep(float(parts[1]))  # the behaviour: a slow endpoint
            return self._send(200)
        if parts == ["api", "v1", "inventory"]:
            self._count("inventory")
            return self._send(200, {"items": [{"sku": f"SKU-{i}", "stock": 100} for i in range(5)]})
        if parts == ["api", "v1", "users"]:
            self._count("users list")
            active = [u for u in USERS.values() if u.get("active")][:20]
            return self._send(200, {"users": active, "count": len(active)})
        if parts[:4] == ["api", "v1", "inventory", "items"] and len(parts) == 5:
            self._count("item")
            return self._send(200, {"sku": parts[4], "stock": 100})
        if parts == ["api", "v1", "orders"]:
            if self.headers.get("apikey") != API_KEY:
                return self._send(401, {"message": "No API key found in request"})
            self._count("orders list")
            return self._send(200, {"orders": []})
        if parts[:3] == ["api", "v1", "users"] and len(parts) == 4:
            self._count("user read")
            user = USERS.get(parts[3])
            return self._send(200, user) if user else self._send(404, {"detail": "no such user"})
        if parts[:3] == ["api", "v1", "orders"] and len(parts) == 4:
            if self.headers.get("apikey") != API_KEY:
                return self._send(401, {"message": "No API key found in request"})
            self._count("order read")
            order = ORDERS.get(parts[3])
            return self._send(200, order) if order else self._send(404, {"detail": "no such order"})
        return self._send(404, {"detail": "Not Found"})

    def do_POST(self) -> None:
        parts = self.path.split("?")[0].strip("/").split("/")
        body = self._body()
        with LOCK:
            if parts == ["api", "v1", "users"]:
                self._count("signup")
                user_id = f"u{len(USERS) + 1}"
                USERS[user_id] = {
                    "id": user_id,
                    "email": body.get("email"),
                    "active": False,
                    "password": body.get("password"),
                }
                return self._send(201, {"id": user_id, "email": body.get("email")})
            if parts[:3] == ["api", "v1", "users"] and parts[-1] == "activate":
                self._count("activate")
                USERS[parts[3]]["active"] = True
                return self._send(200, {"id": parts[3], "active": True})
            if parts == ["api", "v1", "users", "login"]:
                ok = any(
                    u["email"] == body.get("email")
                    and u["password"] == body.get("password")
                    and u["active"]
                    for u in USERS.values()
                )
                self._count("login" if ok else "login refused")
                return self._send(200, {"access_token": "t"}) if ok else self._send(401)
            if parts == ["api", "v1", "orders"]:
                if self.headers.get("apikey") != API_KEY:
                    return self._send(401, {"message": "No API key found in request"})
                self._count("order")
                order_id = f"o{len(ORDERS) + 1}"
                ORDERS[order_id] = {"id": order_id, **body, "total": 12.5}
                return self._send(201, ORDERS[order_id])
            if parts == ["api", "v1", "payments"]:
                if not _valid_jwt(self.headers.get("Authorization", "")):
                    return self._send(401, {"message": "Invalid signature"})
                if not self.headers.get("Idempotency-Key"):
                    return self._send(422, {"detail": "Idempotency-Key header is required"})
                self._count("payment")
                return self._send(201, {"id": 1, "status": "completed"})
        return self._send(404, {"detail": "Not Found"})


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up on /sleep (its timeout) is the point of that route


def main() -> None:
    global API_KEY, JWT_ISSUER, JWT_SECRET
    port = int(sys.argv[1])
    API_KEY, JWT_ISSUER, JWT_SECRET = [*sys.argv[2:5], "", "", ""][:3]
    server = QuietServer(("127.0.0.1", port), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
