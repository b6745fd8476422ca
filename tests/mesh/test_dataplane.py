"""The proxy process in front of real upstream processes, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from harness.mesh import faults as fl
from harness.mesh.testing import hs_token, unsigned_token
from tests.mesh.conftest import SECRETS, Stack
from tests.waiting import eventually

pytestmark = pytest.mark.integration


def get(url: str, **kw: object) -> httpx.Response:
    return httpx.get(url, timeout=5, trust_env=False, **kw)  # type: ignore[arg-type]


# --- mesh routing, faults, authorization --------------------------------------------------


def test_canary_header_goes_to_the_preview_and_everyone_else_to_the_active_service(stack: Stack):
    """istio.yaml during a blue-green rollout: only the x-canary cohort meets the new revision."""
    url = stack.url("order-service", "user-service", "/api/v1/users")
    assert {get(url, headers={"x-canary": "true"}).headers["x-version"] for _ in range(5)} == {"v2"}
    assert {get(url).headers["x-version"] for _ in range(20)} == {"v1"}


def test_authorization_by_calling_identity(stack: Stack):
    allowed = get(stack.url("order-service", "payment-service", "/api/v1/payments"))
    assert allowed.status_code == 200
    denied = get(stack.url("user-service", "payment-service", "/api/v1/payments"))
    assert (denied.status_code, denied.text) == (403, "RBAC: access denied")


def admin(stack: Stack, method: str, path: str, body: object = None) -> httpx.Response:
    return httpx.request(
        method,
        f"http://127.0.0.1:{stack.admin}{path}",
        json=body,
        timeout=5,
        headers={"Authorization": f"Bearer {stack.token}"},
        trust_env=False,
    )


def test_fault_api_records_before_applying_reads_back_and_expires(stack: Stack):
    url = stack.url("order-service", "payment-service", "/api/v1/payments")
    assert httpx.get(f"http://127.0.0.1:{stack.admin}/faults", trust_env=False).status_code == 401
    created = admin(
        stack,
        "POST",
        "/faults",
        {
            "service": "payment-service",
            "abort": {"http_status": 503, "percentage": 100},
            "ttl_seconds": 1.5,
            "label": "test",
        },
    )
    assert created.status_code == 201
    fault = created.json()["fault"]
    assert [f.id for f in fl.active(fl.ledger_path(stack.state))] == [fault["id"]]
    assert [f["id"] for f in admin(stack, "GET", "/faults").json()["faults"]] == [fault["id"]]
    aborted = get(url)
    assert (aborted.status_code, aborted.text) == (503, "fault filter abort")
    eventually(lambda: get(url).status_code == 200, timeout=5, message="the fault never expired")
    assert admin(stack, "GET", "/faults").json()["faults"] == []


def test_fault_removed_through_the_api_and_bad_faults_refused(stack: Stack):
    url = stack.url("order-service", "payment-service", "/x")
    f = admin(
        stack,
        "POST",
        "/faults",
        {
            "service": "payment-service",
            "ttl_seconds": 30,
            "abort": {"http_status": 500, "percentage": 100},
        },
    )
    assert get(url).status_code == 500
    assert admin(stack, "DELETE", f"/faults/{f.json()['fault']['id']}").json() == {"removed": True}
    assert get(url).status_code == 200
    bad = admin(
        stack,
        "POST",
        "/faults",
        {"service": "payment-service", "ttl_seconds": 30, "abort": {"http_status": 500}},
    )
    assert bad.status_code == 400 and "percentage" in bad.text


def test_fault_written_to_the_ledger_by_another_process_is_applied(stack: Stack):
    url = stack.url("order-service", "payment-service", "/x")
    req = fl.parse_request(
        b'{"service": "payment-service", "ttl_seconds": 30, '
        b'"abort": {"http_status": 418, "percentage": 100}}'
    )
    fault = req.to_fault(time.time())
    ledger = fl.ledger_path(stack.state)
    fl.record(ledger, fault)
    try:
        # the proxy stamps the ledger version it enforces: once it says so, the fault is on
        assert fl.wait_applied(ledger, timeout=5)
        assert get(url).status_code == 418
    finally:
        fl.remove(ledger, fault.id)
    # and a removal is in force as soon as the stamp says so (what a rollback waits for)
    assert fl.wait_applied(ledger, timeout=5)
    assert get(url).status_code != 418


def test_connect_failures_are_retried_on_another_endpoint(stack: Stack):
    url = stack.url("tester", "flaky-service", "/x")
    assert {get(url).status_code for _ in range(10)} == {200}


def test_outlier_detection_ejects_the_failing_endpoint(stack: Stack):
    url = stack.url("tester", "bad-service", "/status/500")
    codes = [get(url).status_code for _ in range(5)]
    assert codes[:3] == [500, 500, 500]
    nohost = get(url)
    assert (nohost.status_code, nohost.text) == (503, "no healthy upstream")
    # Ejection is the calling sidecar's own view (Envoy keeps it per proxy): another caller of
    # the same service still reaches the host its neighbour ejected.
    other = get(stack.url("other-caller", "bad-service", "/status/500"))
    assert (other.status_code, other.text) != (503, "no healthy upstream")
    assert other.status_code == 500


def test_route_timeout_gives_504(stack: Stack):
    resp = get(stack.url("tester", "slow-service", "/sleep/2000"))
    assert (resp.status_code, resp.text) == (504, "upstream request timeout")


def test_connection_pool_overflow_is_503_with_overloaded_header(stack: Stack):
    url = stack.url("tester", "pool-service", "/sleep/400")

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=5, trust_env=False) as c:
            return list(await asyncio.gather(*(c.get(url) for _ in range(4))))

    responses = asyncio.run(burst())
    overflow = [r for r in responses if r.status_code == 503]
    assert overflow and all(r.headers.get("x-envoy-overloaded") == "true" for r in overflow)
    assert any(r.status_code == 200 for r in responses)


# --- gateway security ---------------------------------------------------------------------


def gw(stack: Stack, path: str) -> str:
    return f"http://127.0.0.1:{stack.gateway}{path}"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "No API key found in request"),
        ({"apikey": "wrong"}, "Unauthorized"),
    ],
)
def test_key_auth_401s(stack: Stack, headers: dict[str, str], message: str):
    resp = get(gw(stack, "/api/v1/orders"), headers=headers)
    assert resp.status_code == 401 and resp.json()["message"] == message
    assert resp.headers["www-authenticate"] == "Key"


def test_valid_key_reaches_the_service_without_the_key_or_fault_headers(stack: Stack):
    resp = get(
        gw(stack, "/api/v1/orders/7"),
        headers={
            "apikey": SECRETS["mobile-app-api-key"],
            "x-envoy-fault-abort-request": "503",
            "x-harness-fault": "abort",
        },
    )
    assert resp.status_code == 200
    seen = resp.json()["headers"]
    assert resp.json()["path"] == "/api/v1/orders/7"  # strip_path: false
    assert seen["x-consumer-username"] == "mobile-app" and seen["x-service-version"] == "1.0"
    assert "apikey" not in seen and not any(h.startswith(("x-envoy-", "x-harness")) for h in seen)
    assert resp.headers["x-correlation-id"] == seen["x-correlation-id"]


JWT_SECRET = SECRETS["web-app-jwt-secret"]


@pytest.mark.parametrize(
    ("token", "body"),
    [
        (None, {"message": "Unauthorized"}),
        (
            unsigned_token({"iss": "web-app", "exp": 4102444800}),
            {"message": "Bad token; invalid alg"},
        ),
        (
            hs_token({"iss": "web-app", "exp": 4102444800}, "not-the-secret"),
            {"message": "Invalid signature"},
        ),
        (hs_token({"iss": "web-app", "exp": 1_000_000_000}, JWT_SECRET), {"exp": "token expired"}),
        (hs_token({"iss": "web-app"}, JWT_SECRET), {"exp": "must be a number"}),
        (
            hs_token({"iss": "nobody", "exp": 4102444800}, JWT_SECRET),
            {"message": "No credentials found for given 'iss'"},
        ),
    ],
)
def test_jwt_401s(stack: Stack, token: str | None, body: dict[str, str]):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    resp = get(gw(stack, "/api/v1/payments"), headers=headers)
    assert resp.status_code == 401 and resp.json() == body


def test_valid_jwt_passes_and_oversized_body_is_413(stack: Stack):
    token = hs_token({"iss": "web-app", "exp": int(time.time()) + 600}, JWT_SECRET)
    auth = {"Authorization": f"Bearer {token}"}
    ok = httpx.post(
        gw(stack, "/api/v1/payments"),
        headers=auth,
        content=b"x" * 65536,
        timeout=5,
        trust_env=False,
    )
    assert ok.status_code == 200 and ok.json()["body_size"] == 65536  # 64 KiB is allowed
    big = httpx.post(
        gw(stack, "/api/v1/payments"),
        headers=auth,
        content=b"x" * 65537,
        timeout=5,
        trust_env=False,
    )
    assert big.status_code == 413 and big.json() == {"message": "Request size limit exceeded"}


def test_rate_limit_holds_against_spoofed_forwarded_for(stack: Stack):
    url = gw(stack, "/api/v1/users")
    codes = [get(url, headers={"X-Forwarded-For": f"10.9.8.{i}"}).status_code for i in range(8)]
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}
    limited = get(url, headers={"X-Forwarded-For": "203.0.113.7", "X-Real-IP": "203.0.113.7"})
    assert limited.status_code == 429
    assert limited.json()["message"] == "API rate limit exceeded"
    assert limited.headers["x-ratelimit-remaining-hour"] == "0"
    assert int(limited.headers["retry-after"]) >= 1


def test_cors_preflight_and_unknown_route(stack: Stack):
    pre = httpx.options(
        gw(stack, "/api/v1/orders"),
        headers={"Origin": "http://app.example", "Access-Control-Request-Method": "POST"},
        timeout=5,
        trust_env=False,
    )
    assert pre.status_code == 200 and pre.content == b""  # before key-auth
    assert pre.headers["access-control-allow-origin"] == "*"
    missing = get(gw(stack, "/nowhere"))
    assert missing.status_code == 404
    assert missing.json()["message"] == "no Route matched with those values"


# --- metrics ------------------------------------------------------------------------------


def test_metrics_have_both_reporters_standard_labels_and_kong_names(stack: Stack):
    get(stack.url("order-service", "payment-service", "/m"))
    get(gw(stack, "/api/v1/orders"))
    text = httpx.get(f"http://127.0.0.1:{stack.admin}/metrics", trust_env=False).text
    lines = [line for line in text.splitlines() if line.startswith("istio_requests_total{")]
    for reporter in ("source", "destination"):
        assert any(
            f'reporter="{reporter}"' in line
            and 'source_workload="order-service"' in line
            and 'destination_service_name="payment-service"' in line
            and 'response_code="200"' in line
            for line in lines
        )
    assert "istio_request_duration_milliseconds_bucket{" in text and 'le="0.5"' in text
    assert any(
        'code="401"' in line and 'source="kong"' in line and 'route="order-api"' in line
        for line in text.splitlines()
        if line.startswith("kong_http_requests_total{")
    )
    assert "kong_request_latency_ms_bucket" in text
    assert json.dumps("x")  # the exposition is plain text, parsed by Prometheus in its own test


def test_a_real_prometheus_scrapes_the_metrics_and_the_analysis_query_works(stack: Stack, tmp_path):
    """The seed's AnalysisTemplate success-rate query, on series scraped by real Prometheus."""
    import shutil

    from harness.process import free_port, spawn, stop, wait_for_port

    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("the prometheus binary is not installed")
    port = free_port()
    (tmp_path / "prom.yml").write_text(
        "global: {scrape_interval: 1s}\n"
        "scrape_configs:\n- job_name: mesh\n  static_configs:\n"
        f"  - targets: ['127.0.0.1:{stack.admin}']\n"
    )
    proc = spawn(
        [
            binary,
            f"--config.file={tmp_path / 'prom.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        log_path=tmp_path / "prom.log",
    )
    try:
        assert wait_for_port(port, timeout=20)
        api = f"http://127.0.0.1:{port}/api/v1/query"
        ok = 'response_code!~"5.*"'
        query = (
            f'sum(istio_requests_total{{reporter="destination",'
            f'destination_service_name="payment-service",{ok}}}) / '
            'sum(istio_requests_total{reporter="destination",'
            'destination_service_name="payment-service"})'
        )

        def series() -> list[dict[str, object]]:
            get(stack.url("order-service", "payment-service", "/p"))
            found: list[dict[str, object]] = httpx.get(
                api, params={"query": query}, trust_env=False
            ).json()["data"]["result"]
            return found

        result = eventually(
            series, timeout=20, interval=0.5, message="no success-rate series in Prometheus"
        )
        assert 0.0 < float(result[0]["value"][1]) <= 1.0  # type: ignore[index]
        up = httpx.get(api, params={"query": 'up{job="mesh"}'}, trust_env=False).json()
        assert up["data"]["result"][0]["value"][1] == "1"
    finally:
        stop(proc)


def test_delay_fault_for_one_caller_is_flagged_di(stack: Stack):
    created = admin(
        stack,
        "POST",
        "/faults",
        {
            "service": "slow-service",
            "source": "tester",
            "ttl_seconds": 30,
            "delay": {"fixed_delay_ms": 20, "percentage": 100},
        },
    )
    try:
        assert get(stack.url("tester", "slow-service", "/d")).status_code == 200
    finally:
        admin(stack, "DELETE", f"/faults/{created.json()['fault']['id']}")
    text = httpx.get(f"http://127.0.0.1:{stack.admin}/metrics", trust_env=False).text
    assert any(
        'reporter="source"' in line
        and 'destination_service_name="slow-service"' in line
        and 'response_flags="DI"' in line
        for line in text.splitlines()
        if line.startswith("istio_requests_total{")
    )


def test_ledger_fault_naming_the_fqdn_applies(stack: Stack):
    url = stack.url("order-service", "payment-service", "/x")
    fault = fl.Fault(
        id="fqdn-test",
        service="payment-service.default.svc.cluster.local",
        created_at=time.time(),
        expires_at=time.time() + 30,
        abort_status=451,
        abort_percent=100.0,
    )
    fl.record(fl.ledger_path(stack.state), fault)
    try:
        eventually(lambda: get(url).status_code == 451, timeout=5, message="the fault never took")
    finally:
        fl.remove(fl.ledger_path(stack.state), fault.id)


def test_virtual_service_fault_hits_every_rule_routing_to_its_destination(stack: Stack):
    """chaosistio semantics: routes [user-service-preview] put the fault on the rules routing
    there (the x-canary rule), not on the primary one; routes that no rule carries and unknown
    VirtualServices are refused, with the reason."""
    url = stack.url("order-service", "user-service", "/api/v1/users")
    body = {
        "virtual_service": "user-service",
        "routes": [{"destination": {"host": "user-service-preview"}}],
        "abort": {"http_status": 503, "percentage": 100},
        "ttl_seconds": 30,
    }
    created = admin(stack, "POST", "/faults", body)
    try:
        assert created.status_code == 201, created.text
        canary = [get(url, headers={"x-canary": "true"}) for _ in range(5)]
        assert {(r.status_code, r.text) for r in canary} == {(503, "fault filter abort")}
        assert {get(url).status_code for _ in range(10)} == {200}  # the active Service: untouched
        # the same destination, other callers: payment-service's VirtualService is untouched
        assert get(stack.url("order-service", "payment-service", "/x")).status_code == 200
    finally:
        admin(stack, "DELETE", "/faults")
    assert {get(url, headers={"x-canary": "true"}).status_code for _ in range(5)} == {200}

    unmatched = admin(
        stack,
        "POST",
        "/faults",
        {**body, "routes": [{"destination": {"host": "user-service", "subset": "v2"}}]},
    )
    assert unmatched.status_code == 422
    assert "user-service, user-service-preview" in unmatched.json()["error"]
    missing = admin(stack, "POST", "/faults", {**body, "virtual_service": "nope"})
    assert missing.status_code == 404
    assert "Virtual Service 'nope' does not exist" in missing.json()["error"]
    assert admin(stack, "GET", "/faults").json()["faults"] == []
