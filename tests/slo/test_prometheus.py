"""Judging against a real Prometheus serving backfilled data (deterministic, no scraping).

The data: 10 req/s through the gateway for 60 s; during the fault (25 s to 35 s) 2 of every
12 requests fail with 503 and 30 % of requests take 500 ms to 1 s. The 503 series only exists
from the fault on, as it would on a real gateway. A third counter stops at 15 s.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from harness.prometheus.client import PrometheusClient
from harness.run.charts import collect_charts
from harness.scenario import HarnessExtension, Phase
from harness.slo import PhaseWindow, Verdict, check_breach, evaluate
from tests.slo.promhttp import backfilled_prometheus, openmetrics

pytestmark = pytest.mark.integration
T0 = float(int(time.time()) - 1800)


def _data() -> str:
    ok, bad, fast, slow, total, gone = [], [], [], [], [], []
    c_ok = c_bad = c_fast = c_slow = 0
    for s in range(61):
        fault = 25 < s <= 35
        c_ok += 10
        c_bad += 2 if fault else 0
        c_fast += 7 if fault else 10
        c_slow += 10
        t = T0 + s
        ok.append((t, c_ok))
        if s > 25:
            bad.append((t, c_bad))
        fast.append((t, c_fast))
        slow.append((t, c_slow))
        total.append((t, c_slow))
        if s <= 15:
            gone.append((t, float(s)))
    return openmetrics(
        {
            "kong_http_requests": {
                'kong_http_requests_total{code="200"}': ok,
                'kong_http_requests_total{code="503"}': bad,
            },
            "lat_ms": {
                'lat_ms_bucket{le="100"}': fast,
                'lat_ms_bucket{le="500"}': fast,
                'lat_ms_bucket{le="1000"}': slow,
                'lat_ms_bucket{le="+Inf"}': slow,
            },
            "vanishing": {"vanishing_total": gone},
        }
    )


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusClient]:
    with backfilled_prometheus(tmp_path_factory.mktemp("prom"), _data()) as source:
        yield source


EXT = HarnessExtension.model_validate(
    {
        "name": "harness",
        "load": {"locustfile": "l.py", "users": 1, "spawn_rate": 1},
        "phases": {"baseline": "15s", "recovery": "20s"},
        "prometheus": {"scrape_interval": "1s"},
        "slos": [
            {
                "name": "availability",
                "service": "gateway",
                "objective": 0.99,
                "sli": {
                    "type": "ratio",
                    "bad": 'sum(increase(kong_http_requests_total{code=~"5.."}[{{window}}]))',
                    "total": "sum(increase(kong_http_requests_total[{{window}}]))",
                },
            },
            {
                "name": "p95",
                "service": "gateway",
                "objective": 500,
                "unit": "ms",
                "sli": {
                    "type": "threshold",
                    "query": "histogram_quantile(0.95, "
                    "sum by (le) (rate(lat_ms_bucket[{{window}}])))",
                },
            },
            {
                "name": "vanishing",
                "service": "inventory",
                "objective": 0.99,
                "sli": {
                    "type": "ratio",
                    "good": "sum(increase(vanishing_total[{{window}}]))",
                    "total": "sum(increase(vanishing_total[{{window}}]))",
                },
            },
        ],
        "gate": {"abort_on_breach": True, "abort_delay": "5s"},
        "charts": [
            {
                "title": "Requests by code",
                "query": "sum by (code) (rate(kong_http_requests_total[{{rate}}]))",
                "legend": "code",
            }
        ],
    }
)
WINDOWS = [
    PhaseWindow(phase=Phase.BASELINE, start=T0 + 10, end=T0 + 25),
    PhaseWindow(phase=Phase.FAULT, start=T0 + 25, end=T0 + 35),
    PhaseWindow(phase=Phase.RECOVERY, start=T0 + 40, end=T0 + 60),
]


def test_verdicts_and_figures_from_prometheus(prometheus: PrometheusClient) -> None:
    result = evaluate(EXT, WINDOWS, source=prometheus, client=None, scrape_interval=1.0)
    got = {(v.slo, v.phase): v for v in result.verdicts}
    base = got["availability", Phase.BASELINE]
    # the 503 series does not exist yet: counted as 0 bad, not as missing data
    assert (base.verdict, base.value) == (Verdict.PASSED, 1.0)
    fault = got["availability", Phase.FAULT]
    assert fault.verdict is Verdict.FAILED
    assert fault.value == pytest.approx(10 / 12, abs=0.02)
    assert 'code=~"5.."}[10s]' in fault.query
    assert got["availability", Phase.RECOVERY].verdict is Verdict.PASSED
    assert got["p95", Phase.BASELINE].verdict is Verdict.PASSED
    assert got["p95", Phase.FAULT].verdict is Verdict.FAILED
    assert got["vanishing", Phase.BASELINE].verdict is Verdict.INCONCLUSIVE  # stopped at 15 s
    assert got["vanishing", Phase.RECOVERY].verdict is Verdict.INCONCLUSIVE
    figures = {f.slo: f for f in result.resilience.figures}
    assert figures["availability"].time_to_detect == pytest.approx(1.0, abs=1.0)
    assert figures["availability"].recovered is True
    assert figures["availability"].error_budget_spent == pytest.approx(
        (20 / 470) / 0.01, rel=0.05
    )  # 20 bad of 150 + 120 + 200 requests
    assert result.resilience.blast_radius.services == ("gateway",)


def test_prometheus_down_is_inconclusive_with_the_reason() -> None:
    from harness.process import free_port

    with PrometheusClient(f"http://127.0.0.1:{free_port()}") as dead:
        result = evaluate(EXT, WINDOWS, source=dead, client=None, scrape_interval=1.0)
    assert {v.verdict for v in result.verdicts} == {Verdict.INCONCLUSIVE}
    assert all("connect: connection refused" in v.reason for v in result.verdicts)


def test_abort_on_breach_fires_only_on_a_failed_verdict(prometheus: PrometheusClient) -> None:
    open_fault = [*WINDOWS[:1], WINDOWS[1].model_copy(update={"end": T0 + 30})]
    reason = check_breach(
        EXT, open_fault, T0 + 30, source=prometheus, client=None, scrape_interval=1.0
    )
    assert reason is not None and reason.startswith("SLO availability breached in fault")
    calm = check_breach(
        EXT, WINDOWS[:1], T0 + 25, source=prometheus, client=None, scrape_interval=1.0
    )
    assert calm is None
    early = check_breach(
        EXT, [WINDOWS[1]], T0 + 29, source=prometheus, client=None, scrape_interval=1.0
    )
    assert early is None  # within abort_delay of the judged phases


def test_charts_from_range_queries(prometheus: PrometheusClient) -> None:
    (chart,) = collect_charts(
        EXT, T0, T0 + 60, source=prometheus, client=None, step=1.0, rate_window=4.0
    )
    assert chart.key == "requests-by-code"
    assert {s.name for s in chart.series} == {"200", "503"}
    assert "[4s]" in chart.query
