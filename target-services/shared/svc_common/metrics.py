"""The Prometheus metrics every service exports (names from the seed, labels bounded).

One set per process, labelled by `service_name`: HTTP series are labelled by route template
(`/api/v1/users/{user_id}`), never the raw path, so cardinality stays fixed whatever callers send.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

__all__ = [
    "ACTIVE_CONNECTIONS",
    "BREAKER_STATE",
    "BREAKER_TRANSITIONS",
    "BUSINESS_EVENTS",
    "CONTENT_TYPE_LATEST",
    "DB_OPERATIONS",
    "REQUEST_COUNT",
    "REQUEST_DURATION",
    "business_event",
    "observe_db",
    "render",
]

# Buckets sized for a local stack: most calls take milliseconds, faults add up to seconds.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_COUNT = Counter(
    "http_requests_total",
    "Total HTTP requests",
    ["method", "endpoint", "status_code", "service_name"],
)
REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP request duration in seconds",
    ["method", "endpoint", "service_name"],
    buckets=_LATENCY_BUCKETS,
)
ACTIVE_CONNECTIONS = Gauge(
    "active_connections",
    "HTTP requests being served right now",
    ["service_name"],
)
DB_OPERATIONS = Histogram(
    "database_operation_duration_seconds",
    "Database operation duration in seconds",
    ["operation", "table", "service_name"],
    buckets=_LATENCY_BUCKETS,
)
BUSINESS_EVENTS = Counter(
    "business_events_total",
    "Business events counter",
    ["event_type", "service_name"],
)
BREAKER_STATE = Gauge(
    "circuit_breaker_state",
    "Circuit breaker state: 0 closed, 1 open, 2 half-open",
    ["service", "target", "operation"],
)
BREAKER_TRANSITIONS = Counter(
    "circuit_breaker_transitions_total",
    "Circuit breaker state transitions",
    ["service", "target", "operation", "from_state", "to_state"],
)


@contextmanager
def observe_db(service: str, operation: str, table: str) -> Iterator[None]:
    """Time one database operation into `database_operation_duration_seconds`."""
    start = time.perf_counter()
    try:
        yield
    finally:
        DB_OPERATIONS.labels(operation, table, service).observe(time.perf_counter() - start)


def business_event(service: str, event_type: str) -> None:
    BUSINESS_EVENTS.labels(event_type, service).inc()


def render() -> bytes:
    return generate_latest()
