"""A small typed client for the Prometheus HTTP API (instant and range queries).

Results keep Prometheus' four result types apart (scalar, vector, matrix, string). Every
failure (connection refused, timeout, HTTP error, `status: error`) is raised as `QueryFailed`
(a CouldNotRun) with the cause chained; API errors read `<errorType>: <error>`, the way the Go
client that Argo Rollouts uses spells them (e.g. `bad_data: 1:5: parse error: ...`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType

import httpx

from harness.errors import CouldNotRun

DEFAULT_URL = "http://127.0.0.1:9090"

__all__ = [
    "DEFAULT_URL",
    "Matrix",
    "PrometheusClient",
    "QueryFailed",
    "QueryResponse",
    "Sample",
    "Scalar",
    "Series",
    "StringResult",
    "Vector",
]


class QueryFailed(CouldNotRun):
    """Raised when Prometheus cannot answer a query (unreachable, timeout, rejected query)."""


@dataclass(frozen=True)
class Scalar:
    value: float
    time: float


@dataclass(frozen=True)
class Sample:
    labels: Mapping[str, str]
    value: float
    time: float


@dataclass(frozen=True)
class Vector:
    samples: tuple[Sample, ...]


@dataclass(frozen=True)
class Series:
    labels: Mapping[str, str]
    points: tuple[tuple[float, float], ...]  # (unix time, value)


@dataclass(frozen=True)
class Matrix:
    series: tuple[Series, ...]


@dataclass(frozen=True)
class StringResult:
    value: str
    time: float


QueryValue = Scalar | Vector | Matrix | StringResult


@dataclass(frozen=True)
class QueryResponse:
    value: QueryValue
    warnings: tuple[str, ...] = field(default=())


def _float(text: object) -> float:
    # Prometheus sends sample values as strings: "0.95", "NaN", "+Inf", "-Inf"
    try:
        return float(str(text))
    except ValueError:
        return math.nan


def _parse(data: Mapping[str, object]) -> QueryValue:
    kind = data.get("resultType")
    result = data.get("result")
    if kind == "scalar" and isinstance(result, list):
        return Scalar(_float(result[1]), float(result[0]))
    if kind == "string" and isinstance(result, list):
        return StringResult(str(result[1]), float(result[0]))
    if kind == "vector" and isinstance(result, list):
        return Vector(
            tuple(
                Sample(dict(s.get("metric", {})), _float(s["value"][1]), float(s["value"][0]))
                for s in result
            )
        )
    if kind == "matrix" and isinstance(result, list):
        return Matrix(
            tuple(
                Series(
                    dict(s.get("metric", {})),
                    tuple((float(t), _float(v)) for t, v in s.get("values", [])),
                )
                for s in result
            )
        )
    raise QueryFailed(f"unexpected Prometheus result type {kind!r}")


class PrometheusClient:
    """Talks to the one base URL it is given (loopback by default); redirects are not followed."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
        verify: bool = True,
        auth: tuple[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            headers=dict(headers or {}),
            verify=verify,
            auth=auth,
            follow_redirects=False,
            transport=transport,
        )

    def __enter__(self) -> PrometheusClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def instant(
        self, query: str, at: float | None = None, *, timeout: float | None = None
    ) -> QueryResponse:
        """`/api/v1/query` at Unix time `at` (the server's now when None)."""
        params = {"query": query}
        if at is not None:
            params["time"] = f"{at:.3f}"
        return self._request("/api/v1/query", params, timeout)

    def range(
        self, query: str, start: float, end: float, step: float, *, timeout: float | None = None
    ) -> QueryResponse:
        """`/api/v1/query_range` from `start` to `end` every `step` seconds."""
        params = {"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step}"}
        return self._request("/api/v1/query_range", params, timeout)

    def _request(
        self, path: str, params: Mapping[str, str], timeout: float | None
    ) -> QueryResponse:
        url = f"{self.base_url}{path}"
        try:
            response = self._http.post(
                path,
                data=dict(params),
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TimeoutException as exc:  # worded like Go's context timeout
            raise QueryFailed(f'Post "{url}": context deadline exceeded') from exc
        except httpx.ConnectError as exc:
            reason = str(exc)
            if "refused" in reason.lower():  # Go's wording, so messages match Argo's
                host = httpx.URL(url).netloc.decode()
                reason = f"dial tcp {host}: connect: connection refused"
            raise QueryFailed(f'Post "{url}": {reason}') from exc
        except httpx.HTTPError as exc:
            raise QueryFailed(f'Post "{url}": {exc}') from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise QueryFailed(f"server_error: server returned HTTP status {response.status_code}")
        if body.get("status") != "success":
            raise QueryFailed(f"{body.get('errorType', 'error')}: {body.get('error', '')}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise QueryFailed("bad_response: no data in the Prometheus response")
        warnings = tuple(str(w) for w in body.get("warnings", []) or [])
        return QueryResponse(_parse(data), warnings)
