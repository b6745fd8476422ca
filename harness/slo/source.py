"""The one edge SLO judging needs: something that answers PromQL at a time and over a range.

The Prometheus client (`harness.prometheus.client`) implements `MetricSource`; tests may hand
in any object with these two methods. Both raise a `HarnessError` (CouldNotRun/CouldNotJudge)
when Prometheus cannot answer; judging turns that into an inconclusive verdict with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from harness.scenario.durations import format_duration
from harness.scenario.model import WINDOW

RATE = "{{rate}}"  # chart queries: the short rate window


@dataclass(frozen=True)
class RangeSeries:
    """One series of a range query: its labels and its (unix time, value) samples."""

    labels: Mapping[str, str] = field(default_factory=dict)
    samples: Sequence[tuple[float, float]] = ()


class MetricSource(Protocol):
    """PromQL answered at one instant or over a range (Unix seconds)."""

    def query(self, promql: str, at: float) -> float | list[float] | None:
        """A scalar as a float, a vector as one float per series, nothing as None or []."""
        ...

    def query_range(self, promql: str, start: float, end: float, step: float) -> list[RangeSeries]:
        """Every series of a matrix result; an empty list when there is none."""
        ...


def promql_duration(seconds: float) -> str:
    """A PromQL range literal: whole seconds as `15s`, else milliseconds."""
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{round(seconds * 1000)}ms"


def with_window(query: str, seconds: float) -> str:
    """`query` with `{{window}}` (and `{{rate}}`) replaced by a range of `seconds`."""
    text = promql_duration(seconds)
    return query.replace(WINDOW, text).replace(RATE, text)


__all__ = [
    "RATE",
    "MetricSource",
    "RangeSeries",
    "format_duration",
    "promql_duration",
    "with_window",
]
