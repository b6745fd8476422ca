"""Kong plugin outcomes (access and header-filter phases) as plain functions.

What each plugin does, as Kong does it: docs/parity.md, "Kong (gateway)".

Each `access_*` function looks at a `GatewayRequest` and either returns an `Exit` (Kong's
status, headers and body) or None after recording what goes upstream and downstream. The rate
limiter keeps its counters in a `RateCounters` object that the gateway owns.
"""

from __future__ import annotations

import calendar
import hashlib
import math
import re
import time
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode

from harness.mesh import kong_model as km
from harness.mesh.kong_auth import access_jwt, access_key_auth
from harness.mesh.kong_request import (
    JSON_TYPE,
    KONG_VERSION,
    Credentials,
    Exit,
    GatewayRequest,
    error_exit,
    plain_exit,
)

__all__ = [
    "JSON_TYPE",
    "KONG_VERSION",
    "Credentials",
    "Exit",
    "GatewayRequest",
    "access_correlation_id",
    "access_cors",
    "access_jwt",
    "access_key_auth",
    "access_rate_limit",
    "access_request_transformer",
    "access_size_limit",
    "cors_headers",
    "error_exit",
    "header_filter",
    "plain_exit",
    "window_start",
]

# --- correlation-id -----------------------------------------------------------------------

_COUNTER = [0]
_WORKER_UUID = hashlib.sha1(str(time.time_ns()).encode()).hexdigest()


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())


def access_correlation_id(conf: km.CorrelationIdConfig, req: GatewayRequest) -> None:
    name = conf.header_name.lower()
    value = req.headers.get(name)
    if not value:
        if conf.generator == "uuid#counter":
            _COUNTER[0] += 1
            value = (
                f"{_WORKER_UUID[:8]}-{_WORKER_UUID[8:12]}-{_WORKER_UUID[12:16]}-"
                f"{_WORKER_UUID[16:20]}-{_WORKER_UUID[20:32]}#{_COUNTER[0]}"
            )
        elif conf.generator == "uuid":
            value = _uuid()
        else:
            value = f"{req.client_ip}-{time.time():.3f}-{req.request_id[:8]}"
        req.upstream_set[conf.header_name] = value
    if conf.echo_downstream:
        req.header_filters.append((conf, value))


# --- cors ---------------------------------------------------------------------------------


def _origin_allowed(conf: km.CorsConfig, origin: str) -> bool:
    for entry in conf.origins:
        if entry == origin:
            return True
        if any(ch in entry for ch in "^$*+?[]()\\") and re.fullmatch(entry, origin):
            return True
        if ":" not in entry and origin.split("://", 1)[-1].split(":", 1)[0] == entry:
            return True
    return False


def cors_headers(
    conf: km.CorsConfig, origin: str | None, preflight: bool, req_headers: Mapping[str, str]
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not conf.origins or "*" in conf.origins:
        if conf.credentials and origin:
            out += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
        else:
            out.append(("Access-Control-Allow-Origin", "*"))
    elif len(conf.origins) == 1 and not any(ch in conf.origins[0] for ch in "^$*+?[]()\\"):
        out += [("Access-Control-Allow-Origin", conf.origins[0]), ("Vary", "Origin")]
    elif origin and _origin_allowed(conf, origin):
        out += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    if conf.credentials:
        out.append(("Access-Control-Allow-Credentials", "true"))
    if preflight:
        if conf.headers:
            out.append(("Access-Control-Allow-Headers", ",".join(conf.headers)))
        elif req_headers.get("access-control-request-headers"):
            out.append(
                ("Access-Control-Allow-Headers", req_headers["access-control-request-headers"])
            )
        out.append(("Access-Control-Allow-Methods", ",".join(conf.methods)))
        if conf.max_age is not None:
            out.append(("Access-Control-Max-Age", str(conf.max_age)))
    elif conf.exposed_headers:
        out.append(("Access-Control-Expose-Headers", ",".join(conf.exposed_headers)))
    return out


def access_cors(conf: km.CorsConfig, req: GatewayRequest) -> Exit | None:
    """Preflight (OPTIONS + Origin + Access-Control-Request-Method) → 200, no body."""
    origin = req.headers.get("origin")
    if (
        req.method == "OPTIONS"
        and origin
        and req.headers.get("access-control-request-method")
        and not conf.preflight_continue
    ):
        return Exit(200, tuple(cors_headers(conf, origin, True, req.headers)), b"")
    if origin or conf.allow_origin_absent:
        req.header_filters.append((conf, origin or ""))
    return None


# --- request-size-limiting ----------------------------------------------------------------


def access_size_limit(conf: km.RequestSizeLimitingConfig, req: GatewayRequest) -> Exit | None:
    length = req.content_length
    if length is None:
        if conf.require_content_length and "transfer-encoding" not in req.headers:
            return plain_exit(411, {"message": "A valid Content-Length header is required"})
        length = len(req.body)
    if length > conf.limit_bytes:
        expect = req.headers.get("expect", "").strip().lower()
        status = 417 if expect == "100-continue" else 413
        return plain_exit(status, {"message": "Request size limit exceeded"})
    return None


# --- rate-limiting ------------------------------------------------------------------------

WINDOW_S = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "month": 2592000,
    "year": 31536000,
}


def window_start(period: str, now: float) -> float:
    """Fixed windows aligned to UTC calendar boundaries (Kong `timestamp.get_timestamps`)."""
    t = time.gmtime(now)
    if period == "month":
        return float(calendar.timegm((t.tm_year, t.tm_mon, 1, 0, 0, 0)))
    if period == "year":
        return float(calendar.timegm((t.tm_year, 1, 1, 0, 0, 0)))
    size = WINDOW_S[period]
    return float(math.floor(now / size) * size)


class RateCounters:
    """Local-policy counters: key = (plugin scope, identifier, period, window start)."""

    def __init__(self) -> None:
        self._c: dict[tuple[str, str, str, float], int] = {}
        self._last_gc = 0.0

    def usage(self, scope: str, ident: str, period: str, start: float) -> int:
        return self._c.get((scope, ident, period, start), 0)

    def incr(self, scope: str, ident: str, period: str, start: float) -> None:
        k = (scope, ident, period, start)
        self._c[k] = self._c.get(k, 0) + 1

    def gc(self, now: float) -> None:
        if now - self._last_gc < 60:
            return
        self._last_gc = now
        for k in [k for k in self._c if k[3] + WINDOW_S[k[2]] < now]:
            del self._c[k]


def rate_identifier(conf: km.RateLimitingConfig, req: GatewayRequest, service: str) -> str:
    """Who is counted; the client IP is the socket peer, never a caller-set header."""
    if conf.limit_by in ("consumer", "credential"):
        if conf.limit_by == "consumer" and req.consumer is not None:
            return req.consumer.id or req.consumer.username or ""
        if req.credential_id:
            return req.credential_id
    elif conf.limit_by == "service":
        return service
    elif conf.limit_by == "header" and conf.header_name:
        value = req.headers.get(conf.header_name.lower())
        if value:
            return value
    elif conf.limit_by == "path" and conf.path and req.path == conf.path:
        return conf.path
    return req.client_ip


def access_rate_limit(
    conf: km.RateLimitingConfig,
    req: GatewayRequest,
    scope: str,
    service: str,
    counters: RateCounters,
    now: float,
) -> Exit | None:
    ident = rate_identifier(conf, req, service)
    usage: list[tuple[str, int, int, float]] = []  # period, limit, remaining, start
    stop: str | None = None
    for period in km.PERIODS:
        limit = getattr(conf, period)
        if limit is None:
            continue
        start = window_start(period, now)
        remaining = int(limit) - counters.usage(scope, ident, period, start)
        usage.append((period, int(limit), remaining, start))
        if remaining <= 0 and stop is None:
            stop = period
    headers: list[tuple[str, str]] = []
    reset = 1
    if not conf.hide_client_headers or stop:
        best: tuple[int, int] | None = None  # (remaining, window) of the most restrictive
        best_limit = 0
        for period, limit, remaining, start in usage:
            shown = remaining - 1 if stop is None or stop == period else remaining
            shown = max(0, shown)
            window = WINDOW_S[period]
            if best is None or shown < best[0] or (shown == best[0] and window > best[1]):
                best = (shown, window)
                best_limit = limit
                reset = max(1, window - math.floor(now - start))
            headers.append((f"X-RateLimit-Limit-{period.capitalize()}", str(limit)))
            headers.append((f"X-RateLimit-Remaining-{period.capitalize()}", str(shown)))
        assert best is not None  # the schema requires at least one period
        headers += [
            ("RateLimit-Limit", str(best_limit)),
            ("RateLimit-Remaining", str(best[0])),
            ("RateLimit-Reset", str(reset)),
        ]
        if conf.hide_client_headers:
            headers = []
    if stop is not None:
        return error_exit(
            conf.error_code,
            conf.error_message,
            req.request_id,
            (*headers, ("Retry-After", str(reset))),
        )
    for period, _, _, start in usage:
        counters.incr(scope, ident, period, start)
    req.downstream.extend(headers)
    return None


# --- request-transformer ------------------------------------------------------------------


def _pairs(items: list[str]) -> list[tuple[str, str]]:
    return [(i.split(":", 1)[0], i.split(":", 1)[1] if ":" in i else "") for i in items]


def access_request_transformer(conf: km.RequestTransformerConfig, req: GatewayRequest) -> None:
    """remove → rename → replace → add (only if absent, never Host) → append; headers, query."""
    h = req.headers
    for name in conf.remove.headers:
        h.pop(name.lower(), None)
        req.upstream_clear.add(name.lower())
    for old, new in _pairs(conf.rename.headers):
        if old.lower() in h:
            req.upstream_set[new] = h.pop(old.lower())
            req.upstream_clear.add(old.lower())
    for name, value in _pairs(conf.replace.headers):
        if name.lower() in h:
            h[name.lower()] = value
            req.upstream_set[name] = value
    for name, value in _pairs(conf.add.headers):
        present = name.lower() in h or any(k.lower() == name.lower() for k in req.upstream_set)
        if not present and name.lower() != "host":
            h[name.lower()] = value
            req.upstream_set[name] = value
    for name, value in _pairs(conf.append.headers):
        prev = h.get(name.lower())
        h[name.lower()] = value if prev is None else f"{prev}, {value}"
        req.upstream_set[name] = h[name.lower()]
    ops = (
        conf.remove.querystring,
        conf.rename.querystring,
        conf.replace.querystring,
        conf.add.querystring,
        conf.append.querystring,
    )
    if any(ops):
        q = parse_qsl(req.query, keep_blank_values=True)
        q = [(k, v) for k, v in q if k not in conf.remove.querystring]
        renames = dict(_pairs(conf.rename.querystring))
        q = [(renames.get(k, k), v) for k, v in q]
        replaces = dict(_pairs(conf.replace.querystring))
        q = [(k, replaces.get(k, v)) for k, v in q]
        names = {k for k, _ in q}
        q += [(k, v) for k, v in _pairs(conf.add.querystring) if k not in names]
        q += _pairs(conf.append.querystring)
        req.query = urlencode(q)


# --- header filter ------------------------------------------------------------------------


def header_filter(req: GatewayRequest) -> list[tuple[str, str]]:
    """Downstream headers added after the upstream answered (CORS, echoed correlation id)."""
    out = list(req.downstream)
    for conf, value in req.header_filters:
        if isinstance(conf, km.CorsConfig):
            out += cors_headers(conf, value or None, False, req.headers)
        else:
            out.append((conf.header_name, value))
    return out
