"""A small typed client for the Prometheus HTTP API: the `PromQLSource` of `harness.contracts`.

Results keep Prometheus' four result types apart (scalar, vector, matrix, string). Every
failure (connection refused, timeout, HTTP error, `status: error`) is raised as `QueryFailed`
(a CouldNotRun) with the cause chained; API errors read `<errorType>: <error>`, the way the Go
client that Argo Rollouts uses spells them (e.g. `bad_data: 1:5: parse error: ...`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import TracebackType

import httpx

from harness.contracts.promql import (
    DEFAULT_URL,
    Matrix,
    PromQLServer,
    QueryResponse,
    QueryValue,
    Sample,
    Scalar,
    Series,
    StringResult,
    Vector,
)
from harness.errors import CouldNotRun

__all__ = ["Clients", "PrometheusClient", "QueryFailed"]


class QueryFailed(CouldNotRun):
    """Raised when Prometheus cannot answer a query (unreachable, timeout, rejected query)."""


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
    """A `PromQLSource` over the one base URL it is given (loopback by default); no redirects."""

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


class Clients:
    """One client per server an analysis names (a `Connect`); `close()` closes them all."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, bool, tuple[tuple[str, str], ...]], PrometheusClient] = {}

    def __call__(self, server: PromQLServer) -> PrometheusClient:
        key = (server.address, server.insecure, tuple(sorted(server.headers.items())))
        client = self._clients.get(key)
        if client is None:
            client = PrometheusClient(
                server.address,
                headers=server.headers,
                verify=not server.insecure,
                auth=server.basic_auth,
            )
            self._clients[key] = client
        return client

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
