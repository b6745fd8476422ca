"""Prometheus metrics of the data plane: Istio standard metrics and Kong 3.x plugin metrics.

A tiny registry instead of prometheus_client: label sets are rendered once and cached by the
caller, and one observation is a couple of list updates (the proxy records four per request).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

# Envoy's default histogram buckets (milliseconds), used by istio_request_duration_milliseconds.
ISTIO_BUCKETS = (
    0.5,
    1,
    5,
    10,
    25,
    50,
    100,
    250,
    500,
    1000,
    2500,
    5000,
    10000,
    30000,
    60000,
    300000,
    600000,
    1800000,
    3600000,
)
KONG_LATENCY_BUCKETS = (1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 3000, 6000)
KONG_REQUEST_BUCKETS = (25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10000, 30000, 60000)

ISTIO_LABELS = (
    "reporter",
    "source_workload",
    "source_workload_namespace",
    "source_principal",
    "source_app",
    "source_version",
    "source_canonical_service",
    "source_canonical_revision",
    "source_cluster",
    "destination_workload",
    "destination_workload_namespace",
    "destination_principal",
    "destination_app",
    "destination_version",
    "destination_service",
    "destination_service_name",
    "destination_service_namespace",
    "destination_canonical_service",
    "destination_canonical_revision",
    "destination_cluster",
    "request_protocol",
    "response_flags",
    "connection_security_policy",
    "response_code",
    "grpc_response_status",
)


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render_labels(names: Sequence[str], values: Sequence[str]) -> str:
    return ",".join(f'{n}="{_esc(v)}"' for n, v in zip(names, values, strict=True))


def _num(v: float) -> str:
    if v == int(v):
        return str(int(v))
    return repr(v)


class Counter:
    def __init__(self, name: str, help_: str) -> None:
        self.name, self.help = name, help_
        self.values: dict[str, float] = {}

    def inc(self, labels: str, by: float = 1.0) -> None:
        self.values[labels] = self.values.get(labels, 0.0) + by

    def expose(self) -> list[str]:
        out = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        out += [
            f"{self.name}{{{k}}} {_num(v)}" if k else f"{self.name} {_num(v)}"
            for k, v in self.values.items()
        ]
        return out


class Gauge(Counter):
    def set(self, labels: str, value: float) -> None:
        self.values[labels] = value

    def expose(self) -> list[str]:
        return [
            line.replace(" counter", " gauge") if line.startswith("# TYPE") else line
            for line in super().expose()
        ]


class Histogram:
    def __init__(self, name: str, help_: str, buckets: Sequence[float]) -> None:
        self.name, self.help = name, help_
        self.buckets = tuple(float(b) for b in buckets)
        self.series: dict[str, list[float]] = {}  # counts per bucket (+Inf), then sum

    def observe(self, labels: str, value: float) -> None:
        s = self.series.get(labels)
        if s is None:
            s = self.series[labels] = [0.0] * (len(self.buckets) + 2)
        s[bisect_left(self.buckets, value)] += 1
        s[-1] += value

    def expose(self) -> list[str]:
        out = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        for labels, s in self.series.items():
            acc = 0.0
            sep = "," if labels else ""
            for bound, count in zip((*self.buckets, None), s[:-1], strict=True):
                acc += count
                le = "+Inf" if bound is None else _num(bound)
                out.append(f'{self.name}_bucket{{{labels}{sep}le="{le}"}} {_num(acc)}')
            out.append(f"{self.name}_sum{{{labels}}} {_num(s[-1])}")
            out.append(f"{self.name}_count{{{labels}}} {_num(acc)}")
        return out


class Registry:
    def __init__(self) -> None:
        self.istio_requests = Counter("istio_requests_total", "Requests seen by the mesh.")
        self.istio_duration = Histogram(
            "istio_request_duration_milliseconds",
            "Request duration in milliseconds.",
            ISTIO_BUCKETS,
        )
        self.kong_requests = Counter(
            "kong_http_requests_total", "HTTP status codes per consumer/service/route in Kong"
        )
        self.kong_latency = Histogram(
            "kong_kong_latency_ms", "Latency added by Kong in ms", KONG_LATENCY_BUCKETS
        )
        self.kong_upstream = Histogram(
            "kong_upstream_latency_ms",
            "Latency added by upstream response in ms",
            KONG_LATENCY_BUCKETS,
        )
        self.kong_request = Histogram(
            "kong_request_latency_ms",
            "Total latency incurred during requests in ms",
            KONG_REQUEST_BUCKETS,
        )
        self.kong_nginx = Counter("kong_nginx_requests_total", "Number of requests total")
        self.kong_datastore = Gauge(
            "kong_datastore_reachable", "Datastore reachable from Kong, 0 is unreachable"
        )
        self.kong_datastore.set("", 1)

    def expose(self) -> bytes:
        lines: list[str] = []
        for m in (
            self.istio_requests,
            self.istio_duration,
            self.kong_requests,
            self.kong_latency,
            self.kong_upstream,
            self.kong_request,
            self.kong_nginx,
            self.kong_datastore,
        ):
            if isinstance(m, Histogram) and not m.series:
                continue
            if isinstance(m, Counter) and not m.values:
                continue
            lines += m.expose()
        return ("\n".join(lines) + "\n").encode()
