"""`MetricSource` over the harness's Prometheus client (`harness.prometheus.client`).

The client returns typed results (Scalar, Vector, Matrix, StringResult) and raises
`QueryFailed` (a CouldNotRun); this adapter flattens them to what SLO judging needs. It relies
only on the client's public shape, so it does not import the client module.
"""

from __future__ import annotations

from typing import Any, Protocol

from harness.errors import CouldNotJudge
from harness.slo.source import RangeSeries


class _Client(Protocol):
    def instant(self, query: str, at: float | None = None, *, timeout: float | None = None) -> Any:
        """A QueryResponse whose `.value` is a Scalar, Vector, Matrix or StringResult."""
        ...

    def range(
        self, query: str, start: float, end: float, step: float, *, timeout: float | None = None
    ) -> Any:
        """A QueryResponse whose `.value` is a Matrix."""
        ...


class ClientSource:
    """Answers `MetricSource` calls with a `PrometheusClient` (one base URL, no redirects)."""

    def __init__(self, client: _Client, *, timeout: float = 10.0) -> None:
        self.client = client
        self.timeout = timeout

    def query(self, promql: str, at: float) -> float | list[float] | None:
        value = self.client.instant(promql, at, timeout=self.timeout).value
        if hasattr(value, "samples"):  # Vector
            return [float(s.value) for s in value.samples]
        if hasattr(value, "series"):  # Matrix: a range selector was sent as an instant query
            raise CouldNotJudge(f"{promql}: returned a range vector; wrap it in a function")
        if isinstance(getattr(value, "value", None), int | float):  # Scalar
            return float(value.value)
        raise CouldNotJudge(f"{promql}: returned a string, not a number")

    def query_range(self, promql: str, start: float, end: float, step: float) -> list[RangeSeries]:
        value = self.client.range(promql, start, end, step, timeout=self.timeout).value
        return [
            RangeSeries(labels=dict(s.labels), samples=tuple(s.points))
            for s in getattr(value, "series", ())
        ]
