"""Kong plugin outcomes with Kong's status codes, headers and bodies (docs/parity.md)."""

from __future__ import annotations

import base64
import calendar
import json
from typing import Any

import pytest

from harness.mesh import kong_model as km
from harness.mesh import kong_plugins as kp
from harness.mesh.testing import hs_token, unsigned_token

CONSUMERS = [
    km.Consumer(username="mobile", keyauth_credentials=[km.KeyAuthCredential(key="k1")]),
    km.Consumer(username="web", jwt_secrets=[km.JwtSecret(key="web-iss", secret="s3cret")]),
    km.Consumer(
        username="b64",
        jwt_secrets=[km.JwtSecret(key="b64-iss", secret=base64.b64encode(b"raw").decode())],
    ),
]
CREDS = kp.Credentials.index(CONSUMERS)
NOW = 1_800_000_000.0


def gr(
    method: str = "GET",
    path: str = "/x",
    query: str = "",
    body: bytes = b"",
    ip: str = "10.0.0.1",
    repeated: frozenset[str] = frozenset(),
    **headers: str,
):
    h = {k.replace("_", "-").lower(): v for k, v in headers.items()}
    cl = int(h["content-length"]) if "content-length" in h else None
    return kp.GatewayRequest(method, path, query, h, repeated, ip, body, "rid", cl)


def body(e: kp.Exit) -> Any:
    return json.loads(e.body)


def hdr(e: kp.Exit, name: str) -> str | None:
    return dict(e.headers).get(name)


# --- key-auth -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("req", "status", "message"),
    [
        (gr(), 401, "No API key found in request"),
        (gr(apikey="nope"), 401, "Unauthorized"),
        (gr(apikey="k1", repeated=frozenset({"apikey"})), 401, "Duplicate API key found"),
        (gr(query="apikey=nope"), 401, "Unauthorized"),
    ],
)
def test_key_auth_rejections(req, status, message):
    e = kp.access_key_auth(km.KeyAuthConfig(), req, CREDS)
    assert e is not None and e.status == status
    assert body(e) == {"message": message, "request_id": "rid"}
    assert hdr(e, "WWW-Authenticate") == "Key"


def test_key_auth_success_sets_consumer_headers_and_can_hide_the_key():
    r = gr(apikey="k1")
    assert kp.access_key_auth(km.KeyAuthConfig(hide_credentials=True), r, CREDS) is None
    assert r.upstream_set["X-Consumer-Username"] == "mobile"
    assert "apikey" in r.upstream_clear


def test_key_in_query_can_be_refused():
    e = kp.access_key_auth(km.KeyAuthConfig(key_in_query=False), gr(query="apikey=k1"), CREDS)
    assert e is not None and body(e)["message"] == "No API key found in request"


# --- jwt ------------------------------------------------------------------------------------


def token(claims: dict[str, object], key: str = "s3cret", alg: str = "HS256") -> str:
    return hs_token(claims, key, alg)


unsigned = unsigned_token


EXP = km.JwtConfig(claims_to_verify=["exp"])


@pytest.mark.parametrize(
    ("conf", "auth", "status_body", "www"),
    [
        (EXP, None, {"message": "Unauthorized"}, "Bearer"),
        (
            EXP,
            "Bearer " + unsigned({"iss": "web-iss", "exp": NOW + 60}),
            {"message": "Bad token; invalid alg"},
            'Bearer error="invalid_token"',
        ),
        (
            EXP,
            "Bearer " + token({"iss": "web-iss", "exp": NOW + 60}, key="wrong"),
            {"message": "Invalid signature"},
            'Bearer error="invalid_token"',
        ),
        (
            EXP,
            "Bearer " + token({"iss": "web-iss", "exp": NOW - 1}),
            {"exp": "token expired"},
            'Bearer error="invalid_token"',
        ),
        (
            EXP,
            "Bearer " + token({"iss": "web-iss"}),
            {"exp": "must be a number"},
            'Bearer error="invalid_token"',
        ),
        (
            EXP,
            "Bearer " + token({"exp": NOW + 60}),
            {"message": "No mandatory 'iss' in claims"},
            'Bearer error="invalid_token"',
        ),
        (
            EXP,
            "Bearer " + token({"iss": "", "exp": NOW + 60}),
            {"message": "Invalid 'iss' in claims"},
            'Bearer error="invalid_token"',
        ),
        (
            EXP,
            "Bearer " + token({"iss": "who", "exp": NOW + 60}),
            {"message": "No credentials found for given 'iss'"},
            'Bearer error="invalid_token"',
        ),
        (
            EXP,
            "Bearer " + token({"iss": "web-iss"}, alg="HS512"),
            {"message": "Invalid algorithm"},
            'Bearer error="invalid_token"',
        ),
        (
            EXP,
            "Bearer not.a.jwt",
            {"message": "Bad token; invalid JSON"},
            'Bearer error="invalid_token"',
        ),
    ],
)
def test_jwt_rejections(conf, auth, status_body, www):
    r = gr(authorization=auth) if auth else gr()
    e = kp.access_jwt(conf, r, CREDS, NOW)
    assert e is not None and e.status == 401
    assert body(e) == status_body
    assert hdr(e, "WWW-Authenticate") == www


def test_jwt_exp_is_only_checked_when_configured():
    expired = token({"iss": "web-iss", "exp": NOW - 3600})
    assert kp.access_jwt(km.JwtConfig(), gr(authorization=f"Bearer {expired}"), CREDS, NOW) is None


def test_jwt_valid_token_sets_the_consumer():
    r = gr(authorization="bearer " + token({"iss": "web-iss", "exp": NOW + 60}))
    assert kp.access_jwt(EXP, r, CREDS, NOW) is None
    assert r.consumer is not None and r.consumer.username == "web"


def test_jwt_base64_secret_and_multiple_tokens():
    t = token({"iss": "b64-iss"}, key="raw")
    assert (
        kp.access_jwt(
            km.JwtConfig(secret_is_base64=True), gr(authorization=f"Bearer {t}"), CREDS, NOW
        )
        is None
    )
    other = token({"iss": "web-iss"})
    e = kp.access_jwt(
        km.JwtConfig(), gr(query=f"jwt={other}", authorization=f"Bearer {t}"), CREDS, NOW
    )
    assert e is not None and body(e) == {"message": "Multiple tokens provided"}


def test_jwt_from_an_independent_encoder_verifies():
    import jwt as pyjwt

    secret = "x" * 32
    creds = kp.Credentials.index(
        [km.Consumer(username="ext", jwt_secrets=[km.JwtSecret(key="ext-iss", secret=secret)])]
    )
    t = pyjwt.encode({"iss": "ext-iss", "exp": int(NOW) + 60}, secret, algorithm="HS256")
    assert kp.access_jwt(EXP, gr(authorization=f"Bearer {t}"), creds, NOW) is None


# --- request-size-limiting ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "unit", "length", "status"),
    [
        (1, "kilobytes", 1024, None),  # equal is allowed
        (1, "kilobytes", 1025, 413),
        (1024, "bytes", 1025, 413),
        (1024, "kilobytes", 1024 * 1024, None),  # 1024 kilobytes = 1 MiB
        (1024, "megabytes", 1 << 30, None),  # the default unit: 1024 means 1 GiB
        (1, "megabytes", (1 << 20) + 1, 413),
    ],
)
def test_size_units_are_binary(size, unit, length, status):
    conf = km.RequestSizeLimitingConfig(allowed_payload_size=size, size_unit=unit)
    e = kp.access_size_limit(conf, gr("POST", content_length=str(length)))
    assert (e.status if e else None) == status
    if e:
        assert body(e) == {"message": "Request size limit exceeded"}


def test_size_limit_uses_the_body_without_content_length_and_417_on_expect():
    conf = km.RequestSizeLimitingConfig(allowed_payload_size=10, size_unit="bytes")
    e = kp.access_size_limit(conf, gr("POST", body=b"x" * 11))
    assert e is not None and e.status == 413
    e = kp.access_size_limit(conf, gr("POST", content_length="11", expect="100-continue"))
    assert e is not None and e.status == 417


# --- rate-limiting --------------------------------------------------------------------------


def test_exactly_limit_requests_pass_per_window_then_429_with_headers():
    conf = km.RateLimitingConfig(minute=3, hour=10)
    counters = kp.RateCounters()
    now = calendar.timegm((2027, 1, 15, 10, 20, 30))
    seen = []
    for _ in range(3):
        r = gr()
        assert kp.access_rate_limit(conf, r, "route:a", "svc", counters, now) is None
        seen.append(dict(r.downstream)["X-RateLimit-Remaining-Minute"])
    assert seen == ["2", "1", "0"]
    e = kp.access_rate_limit(conf, gr(), "route:a", "svc", counters, now)
    assert e is not None and e.status == 429
    assert body(e) == {"message": "API rate limit exceeded", "request_id": "rid"}
    h = dict(e.headers)
    assert h["Retry-After"] == "30" and h["RateLimit-Reset"] == "30"
    assert h["X-RateLimit-Remaining-Minute"] == "0" and h["X-RateLimit-Remaining-Hour"] == "7"
    assert h["RateLimit-Limit"] == "3" and h["RateLimit-Remaining"] == "0"
    # rejected requests are not counted; the next UTC minute starts a fresh window
    assert counters.usage("route:a", "10.0.0.1", "hour", kp.window_start("hour", now)) == 3
    assert kp.access_rate_limit(conf, gr(), "route:a", "svc", counters, now + 30) is None


def test_spoofed_forwarded_for_does_not_change_the_identity():
    conf = km.RateLimitingConfig(second=1)
    counters = kp.RateCounters()
    assert (
        kp.access_rate_limit(conf, gr(x_forwarded_for="1.1.1.1"), "g", "s", counters, NOW) is None
    )
    e = kp.access_rate_limit(conf, gr(x_forwarded_for="2.2.2.2"), "g", "s", counters, NOW)
    assert e is not None and e.status == 429
    assert kp.access_rate_limit(conf, gr(ip="10.0.0.2"), "g", "s", counters, NOW) is None


@pytest.mark.parametrize(
    ("period", "when", "start"),
    [
        ("minute", (2027, 3, 1, 12, 34, 56), (2027, 3, 1, 12, 34, 0)),
        ("hour", (2027, 3, 1, 12, 34, 56), (2027, 3, 1, 12, 0, 0)),
        ("day", (2027, 3, 1, 12, 34, 56), (2027, 3, 1, 0, 0, 0)),
        ("month", (2027, 3, 17, 12, 34, 56), (2027, 3, 1, 0, 0, 0)),
        ("year", (2027, 3, 17, 12, 34, 56), (2027, 1, 1, 0, 0, 0)),
    ],
)
def test_windows_are_aligned_to_utc(period, when, start):
    assert kp.window_start(period, calendar.timegm(when)) == calendar.timegm(start)


def test_most_restrictive_period_ties_go_to_the_longer_window():
    conf = km.RateLimitingConfig(second=5, minute=5)
    r = gr()
    kp.access_rate_limit(conf, r, "g", "s", kp.RateCounters(), NOW)
    h = dict(r.downstream)
    assert h["RateLimit-Remaining"] == "4" and int(h["RateLimit-Reset"]) > 1


def test_rate_limit_schema_rejects_smaller_limits_on_larger_windows():
    with pytest.raises(ValueError, match="cannot be lower"):
        km.RateLimitingConfig(minute=100, hour=10)


# --- cors, correlation-id, request-transformer ---------------------------------------------


def test_cors_preflight_is_answered_before_auth_with_200_and_no_body():
    conf = km.CorsConfig(origins=["*"], methods=["GET", "POST"], max_age=60)
    e = kp.access_cors(
        conf,
        gr(
            "OPTIONS",
            origin="http://a.example",
            access_control_request_method="POST",
            access_control_request_headers="apikey",
        ),
    )
    assert e is not None and e.status == 200 and e.body == b""
    h = dict(e.headers)
    assert h["Access-Control-Allow-Origin"] == "*"
    assert h["Access-Control-Allow-Methods"] == "GET,POST"
    assert h["Access-Control-Allow-Headers"] == "apikey" and h["Access-Control-Max-Age"] == "60"


def test_cors_non_matching_origin_gets_no_allow_origin():
    conf = km.CorsConfig(origins=["http://a.example", "http://b.example"])
    h = dict(kp.cors_headers(conf, "http://evil.example", False, {}))
    assert "Access-Control-Allow-Origin" not in h
    h = dict(kp.cors_headers(conf, "http://b.example", False, {}))
    assert h["Access-Control-Allow-Origin"] == "http://b.example" and h["Vary"] == "Origin"


def test_correlation_id_keeps_an_incoming_value_and_echoes_when_asked():
    conf = km.CorrelationIdConfig(header_name="X-Correlation-ID", echo_downstream=True)
    r = gr(x_correlation_id="abc")
    kp.access_correlation_id(conf, r)
    assert "X-Correlation-ID" not in r.upstream_set
    assert kp.header_filter(r) == [("X-Correlation-ID", "abc")]
    r2 = gr()
    kp.access_correlation_id(km.CorrelationIdConfig(), r2)
    assert "#" in r2.upstream_set["Kong-Request-ID"]  # uuid#counter
    assert kp.header_filter(r2) == []  # not echoed by default


def test_request_transformer_add_only_when_absent():
    conf = km.RequestTransformerConfig.model_validate(
        {
            "add": {"headers": ["X-Service-Version:1.0", "Host:evil"], "querystring": ["a:1"]},
            "remove": {"headers": ["X-Drop"]},
        }
    )
    r = gr(x_drop="1")
    kp.access_request_transformer(conf, r)
    assert r.upstream_set == {"X-Service-Version": "1.0"} and "x-drop" in r.upstream_clear
    assert r.query == "a=1"
    r2 = gr(x_service_version="2.0")
    kp.access_request_transformer(conf, r2)
    assert "X-Service-Version" not in r2.upstream_set
