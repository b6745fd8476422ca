"""Istio HTTP routing decisions as pure functions (docs/parity.md, "Istio (mesh)").

First-match rule selection (nothing after a catch-all is reachable), relative weights, fault
draws in Envoy's order, and retry policy (Istio's default policy when `retries` is absent;
Envoy's retry-on classes, per-try timeout rule and jittered back-off).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from harness.mesh import istio_model as im


@dataclass(frozen=True)
class RequestView:
    """What routing may look at: method, path (no query), query, lower-case headers."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    authority: str = ""


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def string_matches(m: im.StringMatch, value: str | None, ignore_case: bool = False) -> bool:
    """Istio StringMatch; an empty matcher means "present"; regex must match the whole value."""
    if value is None:
        return False
    if m.exact is not None:
        return value.lower() == m.exact.lower() if ignore_case else value == m.exact
    if m.prefix is not None:
        if ignore_case:
            return value.lower().startswith(m.prefix.lower())
        return value.startswith(m.prefix)
    if m.regex is not None:
        if m.regex == "*":
            return True
        return _regex(m.regex).fullmatch(value) is not None
    return True


def match_request(m: im.HTTPMatchRequest, req: RequestView) -> bool:
    """All conditions of one HTTPMatchRequest (AND)."""
    if m.uri is not None and not string_matches(m.uri, req.path, m.ignore_uri_case):
        return False
    if m.method is not None and not string_matches(m.method, req.method):
        return False
    if m.authority is not None and not string_matches(m.authority, req.authority):
        return False
    if m.scheme is not None and not string_matches(m.scheme, "http"):
        return False
    for name, sm in m.headers.items():
        if not string_matches(sm, req.headers.get(name.lower())):
            return False
    for name, sm in m.without_headers.items():
        if string_matches(sm, req.headers.get(name.lower())):
            return False
    return all(string_matches(sm, req.query.get(name)) for name, sm in m.query_params.items())


def is_catch_all(rule: im.HTTPRoute) -> bool:
    """A rule without `match` (or with an empty match entry) takes every request."""
    if not rule.match:
        return True
    return any(
        (
            mm.uri is None
            and mm.method is None
            and mm.authority is None
            and mm.scheme is None
            and not mm.headers
            and not mm.without_headers
            and not mm.query_params
        )
        or (
            mm.uri is not None
            and mm.uri.prefix == "/"
            and not mm.headers
            and mm.method is None
            and not mm.query_params
            and not mm.without_headers
        )
        for mm in rule.match
    )


def select_rule(vs: im.VirtualService, req: RequestView) -> tuple[int, im.HTTPRoute] | None:
    """The first rule whose match succeeds (match entries OR'ed); None when none does."""
    for index, rule in enumerate(vs.spec.http):
        if not rule.match or any(match_request(m, req) for m in rule.match):
            return index, rule
    return None


def unreachable_rules(vs: im.VirtualService) -> list[tuple[int, str]]:
    """Rules after a catch-all, with Istio's warning text (VirtualServiceUnreachableRule)."""
    out: list[tuple[int, str]] = []
    seen_catch_all = False
    for index, rule in enumerate(vs.spec.http):
        if seen_catch_all:
            label = f'"{rule.name}"' if rule.name else f"#{index}"
            reason = (
                "only the last rule can have no matches"
                if not rule.match
                else "route without matches defined before"
            )
            out.append((index, f"virtualService rule {label} not used ({reason})"))
        if is_catch_all(rule):
            seen_catch_all = True
    return out


def pick_destination(dests: list[im.HTTPRouteDestination], draw: float) -> im.HTTPRouteDestination:
    """Relative weights (Istio ≥1.13); one destination takes all; draw is uniform in [0, 1)."""
    if len(dests) == 1:
        return dests[0]
    live = [d for d in dests if d.weight > 0]
    total = sum(d.weight for d in live)
    if total <= 0:
        return dests[0]
    point = draw * total
    acc = 0.0
    for d in live:
        acc += d.weight
        if point < acc:
            return d
    return live[-1]


@dataclass(frozen=True)
class FaultSpec:
    """A fault normalised to probabilities (0..1): from a VirtualService or the fault API."""

    delay_s: float = 0.0
    delay_p: float = 0.0
    abort_status: int = 0
    abort_p: float = 0.0


def fault_spec(fault: im.HTTPFaultInjection | None) -> FaultSpec | None:
    """Istio → Envoy fault translation; a missing percentage means 0 % (never)."""
    if fault is None:
        return None
    delay_s = delay_p = abort_p = 0.0
    status = 0
    if fault.delay is not None and fault.delay.fixed_delay is not None:
        delay_s = im.parse_duration(fault.delay.fixed_delay)
        if fault.delay.percentage is not None:
            delay_p = fault.delay.percentage.value / 100.0
        elif fault.delay.percent is not None:
            delay_p = fault.delay.percent / 100.0
    if fault.abort is not None and fault.abort.http_status is not None:
        status = fault.abort.http_status
        if fault.abort.percentage is not None:
            abort_p = fault.abort.percentage.value / 100.0
    return FaultSpec(delay_s, delay_p, status, abort_p)


@dataclass(frozen=True)
class FaultDecision:
    delay_s: float
    abort_status: int  # 0 = continue to the upstream

    @property
    def flags(self) -> str:
        parts = (["DI"] if self.delay_s > 0 else []) + (["FI"] if self.abort_status else [])
        return ",".join(parts)


NO_FAULT = FaultDecision(0.0, 0)


def decide_fault(spec: FaultSpec, delay_draw: float, abort_draw: float) -> FaultDecision:
    """Envoy order: the delay draw first, then a separate, independent abort draw."""
    delay = spec.delay_s if spec.delay_p > 0 and delay_draw < spec.delay_p else 0.0
    abort = spec.abort_status if spec.abort_p > 0 and abort_draw < spec.abort_p else 0
    return FaultDecision(delay, abort)


class Failure(StrEnum):
    """How an attempt ended without an HTTP response."""

    CONNECT = "connect-failure"
    RESET = "reset"
    PER_TRY_TIMEOUT = "per-try-timeout"


DEFAULT_RETRY_ON = frozenset(
    {"connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"}
)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int  # retries, not requests
    per_try_timeout_s: float | None
    retry_on: frozenset[str]
    status_codes: frozenset[int]


DEFAULT_RETRY = RetryPolicy(2, None, DEFAULT_RETRY_ON, frozenset())
NO_RETRY = RetryPolicy(0, None, frozenset(), frozenset())


def retry_policy(retries: im.HTTPRetry | None) -> RetryPolicy:
    """Istio `ConvertPolicy`: no block → mesh default; attempts 0 → none; ints → status codes."""
    if retries is None:
        return DEFAULT_RETRY
    if retries.attempts <= 0:
        return NO_RETRY
    retry_on = set(DEFAULT_RETRY_ON)
    codes: set[int] = set()
    if retries.retry_on:
        retry_on = set()
        for item in (p.strip() for p in retries.retry_on.split(",")):
            if item.isdigit():
                codes.add(int(item))
                retry_on.add("retriable-status-codes")
            elif item:
                retry_on.add(item)
    per_try = im.parse_duration(retries.per_try_timeout) if retries.per_try_timeout else None
    return RetryPolicy(retries.attempts, per_try, frozenset(retry_on), frozenset(codes))


def retriable(policy: RetryPolicy, status: int | None, failure: Failure | None) -> bool:
    """Would Envoy retry this attempt's outcome under `policy` (ignoring the attempt budget)?"""
    on = policy.retry_on
    if failure is Failure.PER_TRY_TIMEOUT:
        return "5xx" in on or "gateway-error" in on
    if failure is Failure.CONNECT:
        return bool(on & {"connect-failure", "5xx", "gateway-error", "reset"})
    if failure is Failure.RESET:
        return bool(on & {"5xx", "gateway-error", "reset"})
    if status is None:
        return False
    if "5xx" in on and status >= 500:
        return True
    if "gateway-error" in on and status in (502, 503, 504):
        return True
    if "retriable-4xx" in on and status == 409:
        return True
    return "retriable-status-codes" in on and status in policy.status_codes


BACKOFF_BASE_S = 0.025
BACKOFF_MAX_S = 0.25


def backoff_s(retry_number: int, draw: float) -> float:
    """Envoy's jittered exponential back-off: uniform in [0, (2^n - 1) * 25 ms], cap 250 ms."""
    upper = min(float(2**retry_number - 1) * BACKOFF_BASE_S, BACKOFF_MAX_S)
    return float(draw * upper)
