"""A tiny real upstream for tests and benchmarks (an ASGI app served by uvicorn).

`GET /anything` answers JSON with what arrived (method, path, query, headers, body size) and
`X-Version: $SERVICE_VERSION`; `/status/<code>` answers that status; `/sleep/<ms>` waits first.
Run: `python -m uvicorn harness.mesh.testing:app --host 127.0.0.1 --port N`.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]

VERSION = os.environ.get("SERVICE_VERSION", "v1").encode()
POD = os.environ.get("POD_NAME", "pod").encode()


async def app(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    size = 0
    more = True
    while more:
        msg = await receive()
        size += len(msg.get("body", b""))
        more = msg.get("more_body", False)
    path: str = scope["path"]
    status = 200
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[-2] == "sleep" and parts[-1].isdigit():
        await asyncio.sleep(int(parts[-1]) / 1000)
    if len(parts) >= 2 and parts[-2] == "status" and parts[-1].isdigit():
        status = int(parts[-1])
    if path == "/plain":  # the cheapest answer, for benchmarks
        body = b"ok"
    else:
        body = json.dumps(
            {
                "method": scope["method"],
                "path": path,
                "query": scope["query_string"].decode("latin-1"),
                "headers": {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
                "body_size": size,
                "pod": POD.decode(),
            }
        ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"x-version", VERSION),
                (b"x-pod", POD),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _b64(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hs_token(
    claims: dict[str, object],
    secret: str | bytes,
    alg: str = "HS256",
    header: dict[str, object] | None = None,
) -> str:
    """An HMAC-signed JWT (for tests: any length of secret, any header)."""
    import hashlib
    import hmac

    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    key = secret.encode() if isinstance(secret, str) else secret
    head = _b64(json.dumps(header or {"alg": alg, "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    sig = _b64(hmac.new(key, f"{head}.{body}".encode(), digest).digest())
    return f"{head}.{body}.{sig}"


def unsigned_token(claims: dict[str, object]) -> str:
    """An `alg: none` JWT with an empty signature."""
    head = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{head}.{_b64(json.dumps(claims).encode())}."
