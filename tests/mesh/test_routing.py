"""Istio routing decisions, table-driven (docs/parity.md, "Istio (mesh)")."""

from __future__ import annotations

from typing import Any

import pytest

from harness.mesh import istio_model as im
from harness.mesh import routing as r


def vs(http: list[dict[str, Any]]) -> im.VirtualService:
    return im.VirtualService(
        name="svc", spec=im.VirtualServiceSpec.model_validate({"hosts": ["svc"], "http": http})
    )


def req(path: str = "/", method: str = "GET", **headers: str) -> r.RequestView:
    return r.RequestView(method, path, {}, {k.replace("_", "-"): v for k, v in headers.items()})


CANARY = {
    "match": [{"headers": {"x-canary": {"exact": "true"}}}],
    "route": [{"destination": {"host": "svc", "subset": "v2"}}],
}
CATCH_ALL = {"route": [{"destination": {"host": "svc", "subset": "v1"}}]}
DEAD = {
    "fault": {"abort": {"httpStatus": 503, "percentage": {"value": 100}}},
    "route": [{"destination": {"host": "svc", "subset": "v1"}}],
}


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (req(x_canary="true"), 0),
        (req(x_canary="True"), 1),  # exact is case-sensitive
        (req(), 1),
    ],
)
def test_first_matching_rule_wins(request_, expected):
    picked = r.select_rule(vs([CANARY, CATCH_ALL, DEAD]), request_)
    assert picked is not None and picked[0] == expected


def test_rule_after_catch_all_is_never_used_and_its_fault_never_fires():
    v = vs([CANARY, CATCH_ALL, DEAD])
    assert r.unreachable_rules(v) == [
        (2, "virtualService rule #2 not used (only the last rule can have no matches)")
    ]
    for request_ in (req(), req(x_canary="false"), req("/anything", "POST")):
        picked = r.select_rule(v, request_)
        assert picked is not None and picked[0] != 2


@pytest.mark.parametrize(
    ("match", "request_", "hit"),
    [
        ({"uri": {"prefix": "/api"}}, req("/apix"), True),  # plain string prefix
        ({"uri": {"exact": "/api"}}, req("/api/"), False),
        ({"uri": {"regex": "/api/v[0-9]+"}}, req("/api/v1/users"), False),  # whole value
        ({"uri": {"regex": "/api/v[0-9]+/.*"}}, req("/api/v1/users"), True),
        ({"uri": {"prefix": "/API"}, "ignoreUriCase": True}, req("/api/x"), True),
        ({"headers": {"x-user": {}}}, req(x_user="a"), True),  # empty matcher = present
        ({"headers": {"x-user": {}}}, req(), False),
        ({"method": {"exact": "POST"}}, req(method="GET"), False),
        ({"withoutHeaders": {"x-debug": {}}}, req(x_debug="1"), False),
    ],
)
def test_match_conditions(match, request_, hit):
    v = vs([{"match": [match], "route": [{"destination": {"host": "svc"}}]}])
    assert (r.select_rule(v, request_) is not None) is hit


def test_match_entries_are_ored_and_conditions_anded():
    rule = {
        "match": [
            {"uri": {"prefix": "/a"}, "method": {"exact": "POST"}},
            {"headers": {"x-k": {"exact": "1"}}},
        ],
        "route": [{"destination": {"host": "svc"}}],
    }
    v = vs([rule])
    assert r.select_rule(v, req("/a", "POST")) is not None
    assert r.select_rule(v, req("/a", "GET")) is None
    assert r.select_rule(v, req("/b", "GET", x_k="1")) is not None


def dests(*weights: int) -> list[im.HTTPRouteDestination]:
    return [
        im.HTTPRouteDestination.model_validate(
            {"destination": {"host": "svc", "subset": f"s{i}"}, "weight": w}
        )
        for i, w in enumerate(weights)
    ]


@pytest.mark.parametrize(
    ("weights", "draw", "subset"),
    [
        ((80, 20), 0.79, "s0"),
        ((80, 20), 0.80, "s1"),
        ((1, 1), 0.49, "s0"),
        ((1, 1), 0.5, "s1"),  # relative: need not sum to 100
        ((3, 0, 1), 0.74, "s0"),
        ((3, 0, 1), 0.75, "s2"),  # weight 0 dropped
        ((0,), 0.9, "s0"),  # a single destination takes everything
    ],
)
def test_weights_are_relative(weights, draw, subset):
    assert r.pick_destination(dests(*weights), draw).destination.subset == subset


def fault(body: dict[str, Any]) -> r.FaultSpec:
    spec = r.fault_spec(im.HTTPFaultInjection.model_validate(body))
    assert spec is not None
    return spec


@pytest.mark.parametrize(
    ("body", "draws", "delay", "abort"),
    [
        ({"abort": {"httpStatus": 503}}, (0.0, 0.0), 0.0, 0),  # no percentage = never
        ({"delay": {"fixedDelay": "2s"}}, (0.0, 0.0), 0.0, 0),
        ({"delay": {"fixedDelay": "2s", "percent": 50}}, (0.4, 0.0), 2.0, 0),  # deprecated int
        ({"abort": {"httpStatus": 503, "percentage": {"value": 0.1}}}, (0.0, 0.0009), 0.0, 503),
        ({"abort": {"httpStatus": 503, "percentage": {"value": 0.1}}}, (0.0, 0.001), 0.0, 0),
        # delay and abort are independent draws; both can hit
        (
            {
                "delay": {"fixedDelay": "500ms", "percentage": {"value": 100}},
                "abort": {"httpStatus": 500, "percentage": {"value": 50}},
            },
            (0.99, 0.2),
            0.5,
            500,
        ),
        (
            {
                "delay": {"fixedDelay": "500ms", "percentage": {"value": 100}},
                "abort": {"httpStatus": 500, "percentage": {"value": 50}},
            },
            (0.99, 0.7),
            0.5,
            0,
        ),
    ],
)
def test_fault_draws(body, draws, delay, abort):
    d = r.decide_fault(fault(body), *draws)
    assert (d.delay_s, d.abort_status) == (delay, abort)


def test_abort_percent_is_a_removed_field():
    with pytest.raises(ValueError, match="percent"):
        im.HTTPFaultInjection.model_validate({"abort": {"httpStatus": 500, "percent": 10}})


def test_no_retries_block_means_the_mesh_default_policy():
    p = r.retry_policy(None)
    assert p.attempts == 2 and p.per_try_timeout_s is None
    assert r.retriable(p, None, r.Failure.CONNECT)
    assert not r.retriable(p, 503, None)  # an application 503 is not retried by default
    assert not r.retriable(p, None, r.Failure.RESET)


@pytest.mark.parametrize(
    ("retries", "status", "failure", "expected"),
    [
        ({"attempts": 0}, None, r.Failure.CONNECT, False),
        ({"attempts": 3, "retryOn": "5xx"}, 500, None, True),
        ({"attempts": 3, "retryOn": "5xx"}, 404, None, False),
        ({"attempts": 3, "retryOn": "gateway-error"}, 500, None, False),
        ({"attempts": 3, "retryOn": "gateway-error"}, 503, None, True),
        ({"attempts": 3, "retryOn": "503"}, 503, None, True),  # ints → retriable status codes
        ({"attempts": 3, "retryOn": "503"}, 502, None, False),
        ({"attempts": 3, "retryOn": "retriable-4xx"}, 409, None, True),
        (
            {"attempts": 3, "retryOn": "connect-failure", "perTryTimeout": "1s"},
            None,
            r.Failure.PER_TRY_TIMEOUT,
            False,
        ),  # per-try timeouts need 5xx or gateway-error
        (
            {"attempts": 3, "retryOn": "gateway-error", "perTryTimeout": "1s"},
            None,
            r.Failure.PER_TRY_TIMEOUT,
            True,
        ),
        ({"attempts": 3, "retryOn": "reset"}, None, r.Failure.RESET, True),
    ],
)
def test_retry_on(retries, status, failure, expected):
    p = r.retry_policy(im.HTTPRetry.model_validate(retries))
    assert (p.attempts > 0 and r.retriable(p, status, failure)) is expected


def test_retry_without_retry_on_keeps_default_conditions():
    p = r.retry_policy(im.HTTPRetry.model_validate({"attempts": 5, "perTryTimeout": "250ms"}))
    assert p.attempts == 5 and p.per_try_timeout_s == 0.25
    assert p.retry_on == r.DEFAULT_RETRY_ON


@pytest.mark.parametrize(("n", "upper"), [(1, 0.025), (2, 0.075), (3, 0.175), (4, 0.25)])
def test_backoff_is_jittered_exponential_with_a_cap(n, upper):
    assert r.backoff_s(n, 0.0) == 0.0
    assert r.backoff_s(n, 1.0) == pytest.approx(upper)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("2s", 2.0), ("500ms", 0.5), ("1m30s", 90.0), ("0.25s", 0.25), ("1h", 3600.0)],
)
def test_durations(text, seconds):
    assert im.parse_duration(text) == pytest.approx(seconds)
