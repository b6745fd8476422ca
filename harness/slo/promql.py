"""PromQL as SLO judging needs it: window placeholders filled in, answers flattened to numbers.

The source is the `PromQLSource` of `harness.contracts.promql` (the Prometheus client, or a
test's fake). Both calls raise a `HarnessError` (CouldNotRun/CouldNotJudge) when Prometheus
cannot answer or answers with the wrong type; judging turns that into an inconclusive verdict.
"""

from __future__ import annotations

from harness.contracts.promql import Matrix, PromQLSource, Scalar, Series, Vector
from harness.errors import CouldNotJudge
from harness.scenario.model import WINDOW

RATE = "{{rate}}"  # chart queries: the short rate window


def promql_duration(seconds: float) -> str:
    """A PromQL range literal: whole seconds as `15s`, else milliseconds."""
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{round(seconds * 1000)}ms"


def with_window(query: str, seconds: float) -> str:
    """`query` with `{{window}}` (and `{{rate}}`) replaced by a range of `seconds`."""
    text = promql_duration(seconds)
    return query.replace(WINDOW, text).replace(RATE, text)


def instant(source: PromQLSource, promql: str, at: float) -> float | list[float] | None:
    """A scalar as a float, a vector as one float per series (an empty list for none)."""
    value = source.instant(promql, at).value
    if isinstance(value, Vector):
        return [float(s.value) for s in value.samples]
    if isinstance(value, Matrix):  # a range selector was sent as an instant query
        raise CouldNotJudge(f"{promql}: returned a range vector; wrap it in a function")
    if isinstance(value, Scalar):
        return float(value.value)
    raise CouldNotJudge(f"{promql}: returned a string, not a number")


def series(
    source: PromQLSource, promql: str, start: float, end: float, step: float
) -> list[Series]:
    """Every series of a range query; an empty list when there is none."""
    value = source.range(promql, start, end, step).value
    return list(value.series) if isinstance(value, Matrix) else []


__all__ = ["RATE", "instant", "promql_duration", "series", "with_window"]
