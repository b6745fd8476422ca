"""SLO judging through the harness's own Prometheus client (the `PromQLSource` contract), and
`harness.slo.promql` flattening its answers, against a real Prometheus."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from harness.errors import CouldNotJudge
from harness.prometheus.client import PrometheusClient
from harness.scenario import Phase, load_scenario
from harness.slo import PhaseWindow, Verdict, evaluate, promql
from tests.slo.promhttp import backfilled_prometheus, smoke_metrics

pytestmark = pytest.mark.integration
T0 = float(int(time.time()) - 1800)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusClient]:
    with backfilled_prometheus(tmp_path_factory.mktemp("prom"), smoke_metrics(T0)) as source:
        yield source


def test_smoke_slos_judged_through_the_client(prometheus: PrometheusClient) -> None:
    from pathlib import Path

    scenario = load_scenario("smoke", experiments_dir=Path(__file__).parents[2] / "experiments")
    windows = [
        PhaseWindow(phase=Phase.BASELINE, start=T0 + 10, end=T0 + 25),
        PhaseWindow(phase=Phase.FAULT, start=T0 + 25, end=T0 + 35),
        PhaseWindow(phase=Phase.RECOVERY, start=T0 + 35, end=T0 + 50),
    ]
    result = evaluate(
        scenario.harness, windows, source=prometheus, client=None, scrape_interval=1.0
    )
    assert promql.instant(prometheus, "vector(1)", T0) == [1.0]
    assert promql.instant(prometheus, "scalar(vector(2))", T0) == 2.0
    assert promql.instant(prometheus, "absent_metric_xyz", T0) == []
    with pytest.raises(CouldNotJudge, match="returned a range vector"):
        promql.instant(prometheus, "vector(1)[5s:1s]", T0)
    with pytest.raises(CouldNotJudge, match="returned a string"):
        promql.instant(prometheus, '"text"', T0)
    (series,) = promql.series(prometheus, "vector(1)", T0, T0 + 4, 1.0)
    assert [v for _, v in series.points] == [1.0] * 5
    got = {(v.slo, v.phase): v.verdict for v in result.verdicts}
    assert got["gateway-availability", Phase.BASELINE] is Verdict.PASSED
    assert got["order-p95-latency", Phase.FAULT] is Verdict.PASSED
    figures = {f.slo: f for f in result.resilience.figures}
    assert figures["gateway-availability"].time_to_detect is not None
