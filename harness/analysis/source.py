"""Where measurements come from: Argo's Prometheus provider over the `PromQLSource` contract.

`measure()` is Argo's Prometheus provider (`metricproviders/prometheus/prometheus.go: Run`):
query, convert (scalar → float, vector/matrix → list of floats), judge with the conditions.
The caller hands in a `Connect` (a source for each server a template names).
A measurement finishes at the instant it was scheduled (replays) or when the query returns (live).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from harness.analysis.conditions import Result, evaluate_result
from harness.analysis.durations import parse_duration
from harness.analysis.expr_eval import format_float
from harness.analysis.model import Metric
from harness.analysis.phase import AnalysisPhase
from harness.analysis.state import Measurement
from harness.contracts.promql import (
    DEFAULT_URL,
    Connect,
    Matrix,
    PromQLServer,
    QueryResponse,
    Scalar,
    Vector,
)
from harness.errors import CouldNotRun

__all__ = ["QueryRequest", "measure", "resolve_address"]

# `rangeQuery.start`/`end` are expr expressions returning a time; we accept the idiom Argo's
# docs use, `now()` optionally minus `duration("5m")`.
TIME_EXPR = re.compile(r"""^\s*now\(\)\s*(?:-\s*duration\(\s*["']([^"']+)["']\s*\)\s*)?$""")


@dataclass(frozen=True)
class QueryRequest:
    server: PromQLServer
    query: str
    at: float | None  # Unix time to evaluate at; None = the server's now (live)
    timeout: float = 30.0
    range: tuple[float, float, float] | None = None  # start, end, step


def send(request: QueryRequest, connect: Connect) -> QueryResponse:
    """The request through the source `connect` gives for its server (raises CouldNotRun)."""
    source = connect(request.server)
    if request.range is not None:
        start, end, step = request.range
        return source.range(request.query, start, end, step, timeout=request.timeout)
    return source.instant(request.query, request.at, timeout=request.timeout)


def resolve_address(metric: Metric, override: str | None) -> str:
    """`--prometheus`, else the template's address, else Argo's env var, else loopback."""
    prom = metric.provider.prometheus
    return (
        override
        or (prom.address if prom else "")
        or os.environ.get("ARGO_ROLLOUTS_PROMETHEUS_ADDRESS", "")
        or DEFAULT_URL
    )


def _time_expr(text: str, now: float) -> float:
    m = TIME_EXPR.match(text)
    if m is None:
        raise CouldNotRun(f'rangeQuery time {text!r}: only now() and now() - duration("...")')
    return now - (parse_duration(m.group(1)) if m.group(1) else 0.0)


def build_request(metric: Metric, at: float | None, now: float, address: str) -> QueryRequest:
    """The query Argo's provider would send for `metric` (raises CouldNotRun when it cannot)."""
    prom = metric.provider.prometheus
    if prom is None:
        raise CouldNotRun("no prometheus provider")
    if prom.timeout is not None and prom.timeout < 0:
        raise CouldNotRun("prometheus timeout should not be negative")
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s]+", address):
        raise CouldNotRun(f"prometheus address {address!r} is not a valid URL")
    window = None
    if prom.range_query is not None:
        rq = prom.range_query
        window = (_time_expr(rq.start, now), _time_expr(rq.end, now), parse_duration(rq.step))
    auth = None
    if prom.authentication and prom.authentication.basic_auth:
        auth = (prom.authentication.basic_auth.username, prom.authentication.basic_auth.password)
    server = PromQLServer(
        address=address,
        headers={h.key: h.value for h in prom.headers},
        insecure=prom.insecure,
        basic_auth=auth,
    )
    return QueryRequest(
        server=server,
        query=prom.query,
        at=at,
        timeout=float(prom.timeout if prom.timeout is not None else 30),
        range=window,
    )


def to_result(response: QueryResponse) -> tuple[Result, str] | None:
    """Argo's conversion: the `result` variable and the measurement's value string."""
    value = response.value
    if isinstance(value, Scalar):
        return value.value, format_float(value.value)
    if isinstance(value, Vector):
        floats = tuple(s.value for s in value.samples)
    elif isinstance(value, Matrix):
        floats = tuple(v for series in value.series for _, v in series.points)
    else:
        return None
    return floats, "[" + ",".join(format_float(v) for v in floats) + "]"


def measure(
    metric: Metric,
    connect: Connect,
    *,
    at: float | None,
    started: float,
    address: str,
    clock: Callable[[], float] | None = None,
) -> Measurement:
    """One measurement: query, convert, judge; every failure is an Error measurement."""
    try:
        request = build_request(metric, at, started if at is None else at, address)
        response = send(request, connect)
    except CouldNotRun as exc:
        finished = clock() if clock else started
        return Measurement(AnalysisPhase.ERROR, started, finished, message=str(exc))
    finished = clock() if clock else started
    metadata = {}
    if response.warnings:
        metadata["warnings"] = ", ".join(f'"{w}"' for w in response.warnings)
    converted = to_result(response)
    if converted is None:
        return Measurement(
            AnalysisPhase.ERROR, started, finished, message="Prometheus metric type not supported"
        )
    result, value = converted
    judged = evaluate_result(result, metric.success_condition, metric.failure_condition)
    if judged.phase == AnalysisPhase.ERROR:  # MarkMeasurementError: the value is dropped
        return Measurement(judged.phase, started, finished, message=judged.message)
    return Measurement(judged.phase, started, finished, value=value, metadata=metadata)
