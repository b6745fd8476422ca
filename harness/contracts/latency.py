"""Client latency per second, as the judges receive it: the records and the reader's protocol.

The Locust process writes every request into per-second HdrHistograms
(`loadtests/common/histograms.py`, `<prefix>_latency.jsonl`); `harness.load.latency` reads them
and implements `ClientLatency`. A window is the exact merge of the whole seconds inside it
(second s covers [s, s + 1) by the requests' start), nothing from before or after it.
Requests are selected by glob patterns (`fnmatch`, case-sensitive) matched against the request
name as Locust shows it and against `TYPE name`; no patterns select every request.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

PERCENTILES = (50.0, 95.0, 99.0)


def whole_seconds(start: float, end: float) -> tuple[int, int]:
    """[first, last) of the seconds lying wholly inside [start, end]."""
    return math.ceil(start), math.floor(end)


@dataclass(frozen=True)
class LatencyStats:
    """Requests of a selection over some seconds; percentiles None without requests."""

    requests: int
    failures: int
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    seconds: int = 0  # whole seconds merged

    def percentile(self, q: float) -> float | None:
        return {50.0: self.p50_ms, 95.0: self.p95_ms, 99.0: self.p99_ms}[q]


@dataclass(frozen=True)
class PacerStats:
    """The open model's schedule over some seconds: arrivals asked for and sent, lag."""

    target: float  # arrivals the schedule asked for
    sent: int
    seconds: int
    max_lag_ms: float | None
    p99_lag_ms: float | None

    @property
    def target_rate(self) -> float:
        return self.target / self.seconds if self.seconds else 0.0

    @property
    def achieved_rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


class ClientLatency(Protocol):
    def window(self, start: float, end: float, requests: Sequence[str] = ()) -> LatencyStats:
        """The selected requests that started in the whole seconds of [start, end]."""
        ...

    def per_second(
        self, start: float, end: float, requests: Sequence[str] = ()
    ) -> list[tuple[float, LatencyStats]]:
        """(second, stats) for each whole second of [start, end] holding selected requests."""
        ...

    def pacer(self, start: float, end: float) -> PacerStats | None:
        """The open model's schedule in [start, end]; None for a closed-model run."""
        ...


__all__ = ["PERCENTILES", "ClientLatency", "LatencyStats", "PacerStats", "whole_seconds"]
