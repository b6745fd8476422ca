"""ASGI middleware: request metrics by route template, and the X-Version header.

A plain ASGI middleware rather than Starlette's BaseHTTPMiddleware: it adds no task per request
and sees the route the router picked (`scope["route"]`), so the label is the template.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from svc_common.metrics import ACTIVE_CONNECTIONS, REQUEST_COUNT, REQUEST_DURATION

UNMATCHED = "unmatched"
_log = logging.getLogger("svc_common")
_INTERNAL = b'{"detail":"internal error"}'


class ServiceMiddleware:
    """Counts and times every HTTP request and stamps `X-Version` on every response."""

    def __init__(self, app: ASGIApp, *, service_name: str, version: str) -> None:
        self.app = app
        self.service_name = service_name
        self.version_header = (b"x-version", version.encode("latin-1"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client sees when the app dies before answering
        started = False
        start = time.perf_counter()
        gauge = ACTIVE_CONNECTIONS.labels(self.service_name)
        gauge.inc()

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", []), self.version_header]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            if started:
                raise
            # A bug: log it, and still answer in JSON with the version header.
            _log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_INTERNAL)).encode()),
            ]
            await send_wrapper({"type": "http.response.start", "status": 500, "headers": headers})
            await send_wrapper({"type": "http.response.body", "body": _INTERNAL})
        finally:
            gauge.dec()
            endpoint = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope["method"]
            REQUEST_COUNT.labels(method, endpoint, str(status), self.service_name).inc()
            REQUEST_DURATION.labels(method, endpoint, self.service_name).observe(
                time.perf_counter() - start
            )
