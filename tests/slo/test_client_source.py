"""`ClientSource` over the harness's own Prometheus client, against a real Prometheus.

Runs once `harness.prometheus.client` is part of the tree (it lives on another branch until the
merge); until then it is skipped with that reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from harness.scenario import Phase, load_scenario
from harness.slo import PhaseWindow, Verdict, evaluate
from harness.slo.prometheus import ClientSource
from tests.slo.promhttp import HttpSource, backfilled_prometheus, smoke_metrics

client_module = pytest.importorskip("harness.prometheus.client")
pytestmark = pytest.mark.integration
T0 = float(int(time.time()) - 1800)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpSource]:
    with backfilled_prometheus(tmp_path_factory.mktemp("prom"), smoke_metrics(T0)) as source:
        yield source


def test_smoke_slos_judged_through_the_client(prometheus: HttpSource) -> None:
    from pathlib import Path

    scenario = load_scenario("smoke", experiments_dir=Path(__file__).parents[2] / "experiments")
    windows = [
        PhaseWindow(phase=Phase.BASELINE, start=T0 + 10, end=T0 + 25),
        PhaseWindow(phase=Phase.FAULT, start=T0 + 25, end=T0 + 35),
        PhaseWindow(phase=Phase.RECOVERY, start=T0 + 35, end=T0 + 50),
    ]
    with client_module.PrometheusClient(prometheus.url) as client:
        source = ClientSource(client)
        result = evaluate(
            scenario.harness, windows, source=source, client=None, scrape_interval=1.0
        )
        assert source.query("vector(1)", T0) == [1.0]
        assert source.query("scalar(vector(2))", T0) == 2.0
        assert source.query("absent_metric_xyz", T0) == []
    got = {(v.slo, v.phase): v.verdict for v in result.verdicts}
    assert got["gateway-availability", Phase.BASELINE] is Verdict.PASSED
    assert got["order-p95-latency", Phase.FAULT] is Verdict.PASSED
    figures = {f.slo: f for f in result.resilience.figures}
    assert figures["gateway-availability"].time_to_detect is not None
