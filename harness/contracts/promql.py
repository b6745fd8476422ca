"""PromQL answered by a server: the result records and the one protocol every judge takes.

`harness.prometheus.client.PrometheusClient` implements `PromQLSource`; SLO judging
(`harness.slo`) and the Argo analysis (`harness.analysis`) take it, and tests hand in the real
client or a fake with the same two methods. Results keep Prometheus' four result types apart
(scalar, vector, matrix, string). Both methods raise a `CouldNotRun` when the server cannot
answer; the judges turn that into an inconclusive verdict or an Error measurement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

DEFAULT_URL = "http://127.0.0.1:9090"  # the local target's Prometheus


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


class PromQLSource(Protocol):
    """PromQL answered at one instant or over a range (Unix seconds)."""

    def instant(
        self, query: str, at: float | None = None, *, timeout: float | None = None
    ) -> QueryResponse:
        """The query evaluated at `at` (the server's now when None)."""
        ...

    def range(
        self, query: str, start: float, end: float, step: float, *, timeout: float | None = None
    ) -> QueryResponse:
        """The query evaluated from `start` to `end` every `step` seconds (a Matrix)."""
        ...


@dataclass(frozen=True)
class PromQLServer:
    """How to reach one server: an analysis template names its own (address, headers, TLS)."""

    address: str
    headers: Mapping[str, str] = field(default_factory=dict)
    insecure: bool = False
    basic_auth: tuple[str, str] | None = None


# A source for each server an analysis template names (`harness.prometheus.client.Clients`).
Connect = Callable[[PromQLServer], PromQLSource]

__all__ = [
    "DEFAULT_URL",
    "Connect",
    "Matrix",
    "PromQLServer",
    "PromQLSource",
    "QueryResponse",
    "QueryValue",
    "Sample",
    "Scalar",
    "Series",
    "StringResult",
    "Vector",
]
