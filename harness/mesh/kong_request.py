"""What a request looks like inside the gateway, and Kong's two ways of answering it.

`GatewayRequest` carries one request through the plugin chain (what goes upstream, what goes
back downstream); `Exit` is a short-circuit answer built like `kong.response.error` (JSON with
the request id, Kong >= 3.5) or `kong.response.exit` (the given table as JSON).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from harness.mesh import kong_model as km

KONG_VERSION = "3.9.1"
JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Exit:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def error_exit(
    status: int, message: str, request_id: str, headers: tuple[tuple[str, str], ...] = ()
) -> Exit:
    """`kong.response.error`: JSON body with the request id (Kong ≥ 3.5)."""
    body = json.dumps({"message": message, "request_id": request_id}, separators=(",", ":"))
    return Exit(status, (("Content-Type", JSON_TYPE), *headers), body.encode())


def plain_exit(
    status: int, payload: Mapping[str, str], headers: tuple[tuple[str, str], ...] = ()
) -> Exit:
    """`kong.response.exit(status, table)`: the table as JSON, no request id."""
    body = json.dumps(dict(payload), separators=(",", ":")).encode()
    return Exit(status, (("Content-Type", JSON_TYPE), *headers), body)


@dataclass(frozen=True)
class Credentials:
    """Consumers indexed the way the auth plugins look them up."""

    by_key: Mapping[str, tuple[km.Consumer, km.KeyAuthCredential]]
    by_jwt_key: Mapping[str, tuple[km.Consumer, km.JwtSecret]]

    @classmethod
    def index(cls, consumers: list[km.Consumer]) -> Credentials:
        keys = {k.key: (c, k) for c in consumers for k in c.keyauth_credentials}
        jwts = {j.key: (c, j) for c in consumers for j in c.jwt_secrets if j.key}
        return cls(keys, jwts)


@dataclass
class GatewayRequest:
    """One request as it moves through the plugin chain."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names, first value
    repeated: frozenset[str]
    client_ip: str
    body: bytes
    request_id: str
    content_length: int | None = None
    consumer: km.Consumer | None = None
    credential_id: str | None = None
    upstream_set: dict[str, str] = field(default_factory=dict)
    upstream_clear: set[str] = field(default_factory=set)
    downstream: list[tuple[str, str]] = field(default_factory=list)
    header_filters: list[tuple[km.CorsConfig | km.CorrelationIdConfig, str]] = field(
        default_factory=list
    )

    def query_args(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))
