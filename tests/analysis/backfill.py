"""A real Prometheus serving deterministic, backfilled data (promtool's OpenMetrics import).

The data sits a few hours in the past on a one-minute grid, so replays over it are exact:
`T0` is the first sample; minute `k` holds the value `pattern(k)` of each gauge.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.promserver import serve_openmetrics

MINUTES = 40
STEP = 15  # seconds between samples


@dataclass(frozen=True)
class Backfilled:
    url: str
    t0: int  # Unix seconds of the first sample, on a minute boundary

    def at(self, minute: float) -> float:
        return self.t0 + minute * 60


def _gauge(name: str, labels: str, pattern: Callable[[int], float], t0: int) -> list[str]:
    return [
        f"{name}{{{labels}}} {pattern(i * STEP // 60)} {t0 + i * STEP}"
        for i in range(MINUTES * 60 // STEP)
    ]


def _counter(name: str, labels: str, per_second: float, t0: int) -> list[str]:
    return [
        f"{name}{{{labels}}} {per_second * i * STEP} {t0 + i * STEP}"
        for i in range(MINUTES * 60 // STEP)
    ]


def _istio(
    service: str, ok_rate: float, error_rate: float, latency_ms: float, t0: int
) -> list[str]:
    base = f'reporter="destination",destination_service_name="{service}"'
    lines = _counter("istio_requests_total", f'{base},response_code="200"', ok_rate, t0)
    lines += _counter("istio_requests_total", f'{base},response_code="503"', error_rate, t0)
    total = ok_rate + error_rate
    for le in ("100", "+Inf"):
        within = total if float(le) >= latency_ms else 0.0
        lines += _counter(
            "istio_request_duration_milliseconds_bucket", f'{base},le="{le}"', within, t0
        )
    lines += _counter("istio_request_duration_milliseconds_sum", base, total * latency_ms, t0)
    lines += _counter("istio_request_duration_milliseconds_count", base, total, t0)
    return lines


def openmetrics(t0: int) -> str:
    bad = {10, 11}  # two failing minutes
    worse = {11, 12, 13}  # three failing minutes
    lines = ["# TYPE test_ratio gauge"]
    lines += _gauge("test_ratio", 'case="good"', lambda m: 0.99, t0)
    lines += _gauge("test_ratio", 'case="two_bad"', lambda m: 0.5 if m in bad else 0.99, t0)
    lines += _gauge("test_ratio", 'case="three_bad"', lambda m: 0.5 if m in worse else 0.99, t0)
    lines += ["# TYPE test_num gauge", *_gauge("test_num", 'case="zero"', lambda m: 0, t0)]
    lines += ["# TYPE test_den gauge", *_gauge("test_den", 'case="zero"', lambda m: 0, t0)]
    lines += ["# TYPE istio_requests_total counter"]
    requests = _istio("user-service", 10.0, 0.05, 40.0, t0) + _istio(
        "order-service", 9.0, 1.0, 250.0, t0
    )
    lines += [x for x in requests if x.startswith("istio_requests_total")]
    lines += ["# TYPE istio_request_duration_milliseconds histogram"]
    lines += [x for x in requests if x.startswith("istio_request_duration")]
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@contextmanager
def backfilled_prometheus(workdir: Path) -> Iterator[Backfilled]:
    """Write the data, import it with promtool, serve it with the real prometheus binary."""
    t0 = (int(time.time()) - 3 * 3600) // 60 * 60
    with serve_openmetrics(workdir, openmetrics(t0)) as url:
        yield Backfilled(url, t0)
