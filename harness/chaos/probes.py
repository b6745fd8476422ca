"""Harness-specific probes and actions for experiments (module `harness.chaos.probes`).

Typed, documented, and usable on both targets: breaker state is read from order-service's
`/metrics` through the cluster's endpoints (local target) or from Prometheus (`source=
"prometheus"`, both targets); SLIs are Prometheus queries over a window. Missing data never
passes: a probe with nothing to read raises `CouldNotJudge`, which fails the activity.

Breaker states are the strings `closed`, `open`, `half-open` (gauge 0, 1, 2).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from harness.errors import CouldNotJudge, CouldNotRun

DEFAULT_PROMETHEUS = "http://127.0.0.1:9090"
DEFAULT_GATEWAY = "http://127.0.0.1:8000"
STATES = {0: "closed", 1: "open", 2: "half-open"}
_SEVERITY = {"open": 2, "half-open": 1, "closed": 0}


def _prometheus(prometheus_url: str | None, configuration: Mapping[str, Any] | None) -> str:
    base = prometheus_url or (configuration or {}).get("prometheus_base_url") or DEFAULT_PROMETHEUS
    return str(base).rstrip("/")


def prometheus_query(
    query: str, *, prometheus_url: str | None = None, configuration: Mapping[str, Any] | None = None
) -> list[tuple[dict[str, str], float]]:
    """Instant query; (labels, value) per series. CouldNotRun when Prometheus cannot answer."""
    url = _prometheus(prometheus_url, configuration) + "/api/v1/query"
    try:
        resp = httpx.get(url, params={"query": query}, timeout=10.0, follow_redirects=False)
        payload = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise CouldNotRun(f"Prometheus at {url} did not answer: {exc}") from exc
    if resp.status_code != 200 or payload.get("status") != "success":
        raise CouldNotRun(
            f"Prometheus rejected {query!r}: {payload.get('error', resp.status_code)}"
        )
    data = payload["data"]
    if data["resultType"] == "scalar":
        return [({}, float(data["result"][1]))]
    return [(dict(s["metric"]), float(s["value"][1])) for s in data["result"]]


def sli_over_window(
    query: str,
    window: str = "1m",
    prometheus_url: str | None = None,
    configuration: dict[str, Any] | None = None,
) -> float:
    """Value of a one-series PromQL query, with `$window` replaced by `window` (e.g. `5m`).

    Raises CouldNotJudge when the query returns nothing or NaN (no traffic is no evidence).
    """
    rows = prometheus_query(
        query.replace("$window", window), prometheus_url=prometheus_url, configuration=configuration
    )
    values = [v for _, v in rows if v == v]  # NaN != NaN: 0/0 ratios are no data
    if not values:
        raise CouldNotJudge(f"no data for {query!r} over {window}")
    if len(values) > 1:
        raise CouldNotJudge(f"{query!r} returned {len(values)} series; aggregate it to one")
    return values[0]


def error_ratio(
    service: str,
    window: str = "1m",
    prometheus_url: str | None = None,
    configuration: dict[str, Any] | None = None,
) -> float:
    """Share of `service`'s requests answered 5xx over `window` (0.0-1.0)."""
    sel = f'service_name="{service}"'
    errors = f'sum(rate(http_requests_total{{{sel},status_code=~"5.."}}[$window]))'
    total = f"sum(rate(http_requests_total{{{sel}}}[$window]))"
    # no 5xx series at all is zero errors, but no requests at all stays "no data"
    return sli_over_window(
        f"({errors} or vector(0)) / {total}", window, prometheus_url, configuration
    )


def latency_quantile(
    service: str,
    quantile: float = 0.99,
    window: str = "1m",
    prometheus_url: str | None = None,
    configuration: dict[str, Any] | None = None,
) -> float:
    """`quantile` of `service`'s request duration in seconds over `window`."""
    query = (
        f"histogram_quantile({quantile}, sum by (le) (rate("
        f'http_request_duration_seconds_bucket{{service_name="{service}"}}[$window])))'
    )
    return sli_over_window(query, window, prometheus_url, configuration)


def _reduce(states: list[str]) -> str:
    """One pod: the most severe of its breakers. Several pods: their state, or `mixed`."""
    return states[0] if len(set(states)) == 1 else "mixed"


def _metric_states(text: str, service: str, target: str, operation: str | None) -> list[str]:
    from prometheus_client.parser import text_string_to_metric_families

    found: list[str] = []
    for family in text_string_to_metric_families(text):
        if family.name != "circuit_breaker_state":
            continue
        for sample in family.samples:
            labels = sample.labels
            if labels.get("service") != service or labels.get("target") != target:
                continue
            if operation is not None and labels.get("operation") != operation:
                continue
            found.append(STATES.get(int(sample.value), "unknown"))
    return found


def breaker_state(
    service: str = "order-service",
    target: str = "payment-service",
    operation: str | None = None,
    source: str = "metrics",
    ns: str = "default",
    prometheus_url: str | None = None,
    configuration: dict[str, Any] | None = None,
) -> str:
    """State of `service`'s circuit breaker towards `target`: closed, open, half-open or mixed.

    source="metrics" reads every ready pod's `/metrics` through the cluster endpoints (exact,
    no scrape delay; local target). source="prometheus" reads `circuit_breaker_state` from
    Prometheus (both targets; up to one scrape interval old). Per pod the most severe of its
    per-operation breakers counts; pods that disagree give `mixed`.
    """
    per_pod: list[str] = []
    if source == "metrics":
        from harness.chaos.context import current

        endpoints = [e for e in current().cluster().endpoints(service=service) if e.ready]
        if not endpoints:
            raise CouldNotJudge(f"no ready endpoint for {service} in {ns}")
        for ep in endpoints:
            try:
                resp = httpx.get(f"http://{ep.ip}:{ep.port}/metrics", timeout=5.0)
            except httpx.HTTPError as exc:
                raise CouldNotJudge(f"{service} pod {ep.pod or ep.ip}: /metrics: {exc}") from exc
            states = _metric_states(resp.text, service, target, operation)
            if states:
                per_pod.append(max(states, key=lambda s: _SEVERITY.get(s, -1)))
    elif source == "prometheus":
        sel = f'service="{service}",target="{target}"'
        if operation:
            sel += f',operation="{operation}"'
        # one row per pod (`pod` where the scrape config sets it: ports get reused locally)
        rows = prometheus_query(
            f"max by (instance, pod) (circuit_breaker_state{{{sel}}} == 1) "
            f"or max by (instance, pod) (circuit_breaker_state{{{sel}}})",
            prometheus_url=prometheus_url,
            configuration=configuration,
        )
        from harness.chaos.live_series import active_targets, live_rows

        # a dead pod's last sample can outlive it (Prometheus restarted on a reused state folder)
        rows = live_rows(rows, active_targets(_prometheus(prometheus_url, configuration)))
        per_pod = [STATES.get(int(v), "unknown") for _, v in rows]
    else:
        raise CouldNotRun(f"source: {source!r} is not metrics or prometheus")
    if not per_pod:
        raise CouldNotJudge(f"no circuit_breaker_state for {service} -> {target}")
    return _reduce(per_pod)


def wait_for_breaker_state(
    state: str,
    within_seconds: float,
    service: str = "order-service",
    target: str = "payment-service",
    operation: str | None = None,
    source: str = "metrics",
    ns: str = "default",
    poll_seconds: float = 0.2,
    prometheus_url: str | None = None,
    configuration: dict[str, Any] | None = None,
) -> float:
    """Seconds until the breaker reports `state`; raises when it does not within the bound."""
    start = time.monotonic()
    seen = "unknown"
    while True:
        seen = breaker_state(service, target, operation, source, ns, prometheus_url, configuration)
        if seen == state:
            return round(time.monotonic() - start, 3)
        if time.monotonic() - start > within_seconds:
            raise CouldNotJudge(
                f"breaker {service}->{target} is {seen}, not {state}, after {within_seconds}s"
            )
        time.sleep(poll_seconds)


def breaker_closed_via_half_open(
    service: str = "order-service",
    target: str = "payment-service",
    window: str = "2m",
    prometheus_url: str | None = None,
    configuration: dict[str, Any] | None = None,
) -> bool:
    """True when the breaker went half-open -> closed within `window`; raises otherwise.

    Reads `circuit_breaker_transitions_total{from_state="half_open",to_state="closed"}`, so a
    half-open phase too short to be seen by polling still counts.
    """
    sel = f'service="{service}",target="{target}",from_state="half_open",to_state="closed"'
    metric = f"circuit_breaker_transitions_total{{{sel}}}"
    # Not increase(): a counter series born at its first transition starts at 1, and
    # increase() cannot see that first step. Now minus `window` ago (0 when absent then).
    rows = prometheus_query(
        f"sum({metric}) - (sum({metric} offset {window}) or vector(0))",
        prometheus_url=prometheus_url,
        configuration=configuration,
    )
    if not rows or rows[0][1] < 0.5:
        raise CouldNotJudge(f"no half-open -> closed transition of {service}->{target} in {window}")
    return True


def fail_fast(
    url: str,
    within_ms: float = 250.0,
    expected_status: int = 503,
    attempts: int = 5,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
    timeout_seconds: float = 10.0,
) -> float:
    """Slowest of `attempts` calls, in ms; raises unless each answers `expected_status` fast.

    Shows an open breaker at work: callers get a clear error at once instead of waiting for
    a timeout.
    """
    slowest = 0.0
    with httpx.Client(timeout=timeout_seconds, follow_redirects=False) as client:
        for _ in range(attempts):
            started = time.perf_counter()
            resp = client.request(method, url, headers=headers, json=body)
            elapsed = (time.perf_counter() - started) * 1000.0
            slowest = max(slowest, elapsed)
            if resp.status_code != expected_status:
                detail = " ".join(resp.text.split())[:200]
                raise CouldNotJudge(
                    f"{method} {url}: {resp.status_code}, not {expected_status}: {detail}"
                )
            if elapsed > within_ms:
                raise CouldNotJudge(f"{method} {url}: {elapsed:.0f}ms, over {within_ms:.0f}ms")
    return round(slowest, 1)


def _new_user(client: httpx.Client, gateway_url: str, api_key: str) -> str:
    """A throwaway customer for order probes (random password, never stored or logged)."""
    tag = secrets.token_hex(6)
    resp = client.post(
        f"{gateway_url.rstrip('/')}/api/v1/users",
        headers={"apikey": api_key},
        json={
            "email": f"chaos-{tag}@example.com",
            "first_name": "Chaos",
            "last_name": tag,
            "password": secrets.token_urlsafe(18),
        },
    )
    if resp.status_code != 201:
        raise CouldNotRun(f"cannot create a probe user: {resp.status_code}")
    user_id = str(resp.json()["id"])
    # new users are pending; order-service only takes orders from active ones
    activated = client.post(
        f"{gateway_url.rstrip('/')}/api/v1/users/{user_id}/activate", headers={"apikey": api_key}
    )
    if activated.status_code != 200:
        raise CouldNotRun(f"cannot activate the probe user: {activated.status_code}")
    return user_id


def _order_body(user_id: str, sku: str, quantity: int, payment_method: str) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "items": [{"sku": sku, "quantity": quantity}],
        "payment_method": payment_method,
    }


def place_orders(
    count: int,
    record_file: str,
    api_key: str,
    gateway_url: str = DEFAULT_GATEWAY,
    user_id: str | None = None,
    sku: str = "SKU-0002",
    quantity: int = 1,
    payment_method: str = "card",
    fresh: bool = False,
) -> dict[str, int]:
    """Place `count` orders through the gateway; ids of committed (201) ones go to a file.

    Failed orders are fine (the client saw an error); `lost_orders` later checks that every
    committed one is still there. `fresh` empties the record first; without `user_id` a
    throwaway user is created.
    """
    committed = failed = 0
    url = f"{gateway_url.rstrip('/')}/api/v1/orders"
    Path(record_file).parent.mkdir(parents=True, exist_ok=True)
    mode = "w" if fresh else "a"
    with (
        httpx.Client(timeout=10.0, follow_redirects=False) as client,
        open(record_file, mode, encoding="utf-8") as out,
    ):
        who = user_id or _new_user(client, gateway_url, api_key)
        for _ in range(count):
            try:
                resp = client.post(
                    url,
                    headers={"apikey": api_key},
                    json=_order_body(who, sku, quantity, payment_method),
                )
            except httpx.HTTPError:
                failed += 1
                continue
            if resp.status_code == 201:
                out.write(json.dumps({"id": resp.json()["id"]}) + "\n")
                out.flush()
                committed += 1
            else:
                failed += 1
    return {"committed": committed, "failed": failed}


def orders_fail_fast(
    api_key: str,
    gateway_url: str = DEFAULT_GATEWAY,
    within_ms: float = 250.0,
    expected_status: int = 503,
    attempts: int = 5,
    sku: str = "SKU-0002",
) -> float:
    """Slowest of `attempts` order placements in ms; each must answer `expected_status` fast."""
    with httpx.Client(timeout=10.0, follow_redirects=False) as client:
        who = _new_user(client, gateway_url, api_key)
    return fail_fast(
        f"{gateway_url.rstrip('/')}/api/v1/orders",
        within_ms=within_ms,
        expected_status=expected_status,
        attempts=attempts,
        headers={"apikey": api_key},
        body=_order_body(who, sku, 1, "card"),
    )


def lost_orders(record_file: str, api_key: str, gateway_url: str = DEFAULT_GATEWAY) -> int:
    """How many orders recorded as committed by `place_orders` cannot be read back (want 0)."""
    path = Path(record_file)
    if not path.exists():
        return 0
    ids = [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    lost = 0
    with httpx.Client(timeout=10.0, follow_redirects=False) as client:
        for order_id in ids:
            resp = client.get(
                f"{gateway_url.rstrip('/')}/api/v1/orders/{order_id}", headers={"apikey": api_key}
            )
            if resp.status_code == 404:
                lost += 1
            elif resp.status_code != 200:
                raise CouldNotJudge(f"order {order_id}: {resp.status_code} while reading it back")
    return lost
