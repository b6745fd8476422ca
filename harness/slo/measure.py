"""Gathering evidence: Prometheus and Locust answers turned into `Measurement`s and series.

The only I/O in `harness.slo` happens here, through the `PromQLSource` handed in. A window's
value is one instant query at its end ranging over the whole window (exact for counters and
histograms); the short-window range series gives the points used for staleness and detection.
"""

from __future__ import annotations

import math

from harness.contracts.latency import ClientLatency
from harness.contracts.promql import PromQLSource
from harness.errors import HarnessError
from harness.scenario.model import ClientSli, RatioSli, SloSpec, ThresholdSli
from harness.slo import promql
from harness.slo.locust import client_series, client_window
from harness.slo.model import Measurement, PhaseWindow, Sample
from harness.slo.promql import with_window

MIN_SCRAPES = 4


class _MultipleSeries(Exception):
    pass


def sli_expression(slo: SloSpec) -> str:
    """The SLI as one PromQL expression, `{{window}}` still in it. An absent numerator counts 0:
    `sum()` over no error series is empty, not zero, and must not look like missing data."""
    sli = slo.sli
    if isinstance(sli, RatioSli):
        if sli.good is not None:
            return f"(({sli.good}) or vector(0)) / ({sli.total})"
        return f"1 - ((({sli.bad}) or vector(0)) / ({sli.total}))"
    if isinstance(sli, ThresholdSli):
        return sli.query
    raise TypeError("client SLIs have no PromQL")


def _one(answer: float | list[float] | None) -> float | None:
    if answer is None:
        return None
    if isinstance(answer, list):
        if not answer:
            return None
        if len(answer) > 1:
            raise _MultipleSeries(f"{len(answer)} series")
        return float(answer[0])
    return float(answer)


def fetch_series(
    source: PromQLSource | None,
    slo: SloSpec,
    start: float,
    end: float,
    step: float,
    detect_window: float,
) -> tuple[list[Sample], str | None]:
    """The SLI over [start, end] every `step`, each point over the trailing `detect_window`."""
    if source is None:
        return [], "no Prometheus to ask"
    query = with_window(sli_expression(slo), detect_window)
    try:
        result = promql.series(source, query, start, end, step)
    except HarnessError as exc:
        return [], f"query failed: {exc}"
    if len(result) > 1:
        return [], f"query returned {len(result)} series; aggregate it to one with sum() or max()"
    return ([(float(t), float(v)) for t, v in result[0].points] if result else []), None


def measure_prometheus(
    source: PromQLSource | None,
    slo: SloSpec,
    window: PhaseWindow,
    series: list[Sample],
    series_error: str | None,
    *,
    scrape_interval: float,
    step: float,
) -> Measurement:
    """The evidence for a Prometheus SLI in one window."""
    length = window.duration
    inside = [s for s in series if window.start < s[0] <= window.end]
    sli = slo.sli
    if isinstance(sli, RatioSli):
        q_num, q_total = with_window(sli.good_or_bad, length), with_window(sli.total, length)
        query = f"{q_num} / {q_total}" if sli.good else f"1 - {q_num} / {q_total}"
    else:
        query = with_window(sli_expression(slo), length)
    base = Measurement(
        slo=slo.name,
        phase=window.phase,
        start=window.start,
        end=window.end,
        query=query,
        points=len(inside),
        last_sample_at=max((t for t, _ in inside), default=None),
        stale_after=max(2 * scrape_interval, 2 * step),
        min_window=MIN_SCRAPES * scrape_interval,
        error=series_error,
    )
    if source is None:
        return base.model_copy(update={"error": "no Prometheus to ask"})
    try:
        if isinstance(sli, RatioSli):
            total = _one(promql.instant(source, q_total, window.end))
            num = _one(promql.instant(source, q_num, window.end))
            if total is None or math.isnan(total) or total <= 0:
                return base.model_copy(update={"total": total})
            num = 0.0 if num is None or math.isnan(num) else num
            good = num if sli.good is not None else total - num
            return base.model_copy(update={"value": good / total, "good": good, "total": total})
        value = _one(promql.instant(source, query, window.end))
    except HarnessError as exc:
        return base.model_copy(update={"error": f"query failed: {exc}"})
    except _MultipleSeries as exc:
        return base.model_copy(update={"error": f"query returned {exc}; aggregate it to one"})
    return base.model_copy(update={"value": value})


CLIENT_STALE_AFTER = 3.0  # seconds: the last second with requests this long before the end


def client_query(sli: ClientSli) -> str:
    selected = ",".join(sli.requests)
    return f"client:{sli.metric}" + (f"{{{selected}}}" if selected else "")


def measure_client(latency: ClientLatency | None, slo: SloSpec, window: PhaseWindow) -> Measurement:
    """The evidence for a client SLI in one window: the merge of its whole seconds."""
    assert isinstance(slo.sli, ClientSli)
    base = Measurement(
        slo=slo.name,
        phase=window.phase,
        start=window.start,
        end=window.end,
        query=client_query(slo.sli),
        stale_after=CLIENT_STALE_AFTER,
    )
    if latency is None:
        return base.model_copy(
            update={"error": "no client latency was recorded (the load generator wrote none)"}
        )
    value, good, total, _ = client_window(latency, slo.sli, window.start, window.end)
    seconds = latency.per_second(window.start, window.end, slo.sli.requests)
    return base.model_copy(
        update={
            "value": value,
            "good": good,
            "total": total,
            "points": len(seconds),
            "last_sample_at": seconds[-1][0] + 1 if seconds else None,
        }
    )


def client_sli_series(
    latency: ClientLatency | None, slo: SloSpec, start: float, end: float, detect_window: float
) -> list[Sample]:
    if latency is None or not isinstance(slo.sli, ClientSli):
        return []
    return client_series(latency, slo.sli, start, end, detect_window)


def measure_series(
    slo: SloSpec,
    window: PhaseWindow,
    series: list[Sample],
    *,
    scrape_interval: float,
    reduce: str = "mean",
) -> Measurement:
    """Evidence from bare (t, value) samples of the SLI: mean (or max, min, last) inside."""
    inside = [(t, v) for t, v in series if window.start < t <= window.end]
    finite = [v for _, v in inside if not math.isnan(v)]
    value: float | None
    if not inside:
        value = None
    elif not finite:
        value = math.nan
    elif reduce == "max":
        value = max(finite)
    elif reduce == "min":
        value = min(finite)
    elif reduce == "last":
        value = finite[-1]
    else:
        value = sum(finite) / len(finite)
    return Measurement(
        slo=slo.name,
        phase=window.phase,
        start=window.start,
        end=window.end,
        query=f"series:{reduce}",
        value=value,
        points=len(inside),
        last_sample_at=inside[-1][0] if inside else None,
        stale_after=2 * scrape_interval,
        min_window=MIN_SCRAPES * scrape_interval,
    )
