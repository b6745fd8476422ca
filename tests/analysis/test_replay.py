"""Replays against a real Prometheus serving backfilled data: phases, values, messages, times."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.analysis.drivers import replay
from harness.analysis.model import AnalysisSpec, prepare
from harness.analysis.phase import AnalysisPhase as P
from harness.analysis.state import AnalysisRunState
from harness.prometheus.client import Clients
from tests.analysis.backfill import Backfilled, backfilled_prometheus

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backfilled]:
    with backfilled_prometheus(tmp_path_factory.mktemp("prom")) as served:
        yield served


def run(
    prom: Backfilled, *metrics: dict[str, Any], start: float = 10, end: float = 30
) -> tuple[AnalysisRunState, list[str]]:
    spec = AnalysisSpec.model_validate({"metrics": list(metrics)})
    state = AnalysisRunState(prepare(spec, {}))
    clients = Clients()
    try:
        left = replay(state, clients, start=prom.at(start), end=prom.at(end), prometheus=prom.url)
    finally:
        clients.close()
    return state, left


def metric(query: str, name: str = "m", **fields: Any) -> dict[str, Any]:
    return {"name": name, "provider": {"prometheus": {"query": query}}, **fields}


def series(state: AnalysisRunState, name: str = "m") -> list[tuple[float, str, P]]:
    return [(m.finished_at, m.value, m.phase) for m in state.results[name].measurements]


AT_LEAST = "result[0] >= 0.95"


def test_success_each_query_at_its_scheduled_time(prom: Backfilled) -> None:
    good = metric('test_ratio{case="good"}', count=3, interval="1m", successCondition=AT_LEAST)
    state, left = run(prom, good)
    assert left == []
    assert series(state) == [
        (prom.at(10), "[0.99]", P.SUCCESSFUL),
        (prom.at(11), "[0.99]", P.SUCCESSFUL),
        (prom.at(12), "[0.99]", P.SUCCESSFUL),
    ]
    assert (state.phase, state.message) == (P.SUCCESSFUL, "")


@pytest.mark.parametrize(
    ("case", "limit", "phase", "values", "message"),
    [
        ("two_bad", 2, P.SUCCESSFUL, ["[0.5]", "[0.5]", "[0.99]", "[0.99]", "[0.99]"], ""),
        ("two_bad", 1, P.FAILED, ["[0.5]", "[0.5]"],
         'Metric "m" assessed Failed due to failed (2) > failureLimit (1)'),
        ("three_bad", 2, P.FAILED, ["[0.99]", "[0.5]", "[0.5]", "[0.5]"],
         'Metric "m" assessed Failed due to failed (3) > failureLimit (2)'),
    ],
)  # fmt: skip
def test_failure_limit_boundary(
    prom: Backfilled, case: str, limit: int, phase: P, values: list[str], message: str
) -> None:
    state, _ = run(
        prom,
        metric(f'test_ratio{{case="{case}"}}', count=5, interval="1m", failureLimit=limit,
               successCondition="result[0] >= 0.95"),
    )  # fmt: skip
    assert [v for _, v, _ in series(state)] == values
    assert (state.phase, state.message) == (phase, message)


def test_empty_result_errors_five_times_ten_seconds_apart(prom: Backfilled) -> None:
    state, _ = run(prom, metric('test_ratio{case="missing"}', successCondition="result[0] >= 0.95"))
    assert series(state) == [(prom.at(10) + 10 * i, "", P.ERROR) for i in range(5)]
    reason = (
        'could not evaluate successCondition "result[0] >= 0.95": metric result is nil or empty: '
        "no data returned from the metric provider"
    )
    assert state.phase == P.ERROR
    assert state.message == (
        'Metric "m" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): '
        f'"Error Message: {reason}"'
    )


def test_guarded_empty_result(prom: Backfilled) -> None:
    missing = 'test_ratio{case="missing"}'
    state, _ = run(prom, metric(missing, successCondition="len(result) == 0 || result[0] >= 0.95"))
    assert (series(state), state.phase) == ([(prom.at(10), "[]", P.SUCCESSFUL)], P.SUCCESSFUL)
    state, _ = run(prom, metric(missing, successCondition="len(result) > 0 && result[0] >= 0.95"))
    assert state.phase == P.FAILED


NAN_QUERY = 'sum(test_num{case="zero"}) / sum(test_den{case="zero"})'


def test_nan_with_both_conditions_is_inconclusive(prom: Backfilled) -> None:
    both = {"successCondition": "result[0] >= 0.9", "failureCondition": "result[0] < 0.9"}
    state, _ = run(prom, metric(NAN_QUERY, **both))
    assert series(state) == [(prom.at(10), "[NaN]", P.INCONCLUSIVE)]
    assert state.phase == P.INCONCLUSIVE


def test_nan_with_only_a_success_condition_fails(prom: Backfilled) -> None:
    state, _ = run(prom, metric(NAN_QUERY, successCondition="result[0] >= 0.9"))
    assert (series(state), state.phase) == ([(prom.at(10), "[NaN]", P.FAILED)], P.FAILED)
    state, _ = run(prom, metric(NAN_QUERY, failureCondition="isNaN(result[0])"))
    assert state.phase == P.FAILED


def test_bad_promql_errors_until_the_limit(prom: Backfilled) -> None:
    state, _ = run(prom, metric("sum(test_ratio", count=2, interval="1m"))
    measurements = state.results["m"].measurements
    assert [m.finished_at for m in measurements] == [prom.at(10) + 10 * i for i in range(5)]
    assert all(
        m.message.startswith("bad_data: ") and "parse error" in m.message for m in measurements
    )
    assert state.phase == P.ERROR
    assert state.results["m"].count == 0  # errors never consume the count


def test_an_erroring_metric_ends_the_run_and_terminates_the_others(prom: Backfilled) -> None:
    state, _ = run(
        prom,
        metric('scalar(test_ratio{case="good"})', count=2, interval="1m",
               successCondition="result >= 0.9"),
        metric('test_ratio{case="good"}', name="vec", successCondition="result > 0.9"),
    )  # fmt: skip
    assert series(state) == [(prom.at(10), "0.99", P.SUCCESSFUL)]
    assert state.results["m"].phase == P.SUCCESSFUL  # count not reached, but terminated
    vec = state.results["vec"].measurements
    assert [m.finished_at for m in vec] == [prom.at(10) + 10 * i for i in range(5)]
    assert vec[0].message == (
        'could not evaluate successCondition "result > 0.9": '
        "invalid operation: > (mismatched types []float64 and float64)"
    )
    assert state.phase == P.ERROR  # the vector metric errs 5 times in a row


def test_scalar_results_cannot_be_indexed(prom: Backfilled) -> None:
    state, _ = run(prom, metric("scalar(vector(1))", successCondition="result[0] == 1"))
    first = state.results["m"].measurements[0]
    assert (
        first.message
        == 'could not evaluate successCondition "result[0] == 1": type float64[int] is undefined'
    )


def test_matrix_results_are_flattened(prom: Backfilled) -> None:
    range_query = {"start": 'now() - duration("1m")', "end": "now()", "step": "30s"}
    state, _ = run(
        prom,
        {"name": "m", "successCondition": "len(result) == 3 && all(result, # == 0.99)",
         "provider": {"prometheus": {"query": 'test_ratio{case="two_bad"}',
                                     "rangeQuery": range_query}}},
        metric('test_ratio{case="good"}[1m]', name="raw",
               successCondition="len(result) >= 4 && all(result, # == 0.99)"),
        start=13,
    )  # fmt: skip
    assert series(state) == [(prom.at(13), "[0.99,0.99,0.99]", P.SUCCESSFUL)]
    assert state.results["raw"].measurements[0].phase == P.SUCCESSFUL
    assert state.phase == P.SUCCESSFUL


def test_window_too_short_leaves_the_run_running(prom: Backfilled) -> None:
    state, left = run(prom, metric('test_ratio{case="good"}', count=5, interval="1m"), end=12)
    assert left == ["m"]
    assert state.phase == P.RUNNING
    assert len(state.results["m"].measurements) == 3


def test_unreachable_prometheus_is_an_error_measurement(tmp_path: Path) -> None:
    from harness.process import free_port

    spec = AnalysisSpec.model_validate({"metrics": [metric("up", consecutiveErrorLimit=0)]})
    state = AnalysisRunState(prepare(spec, {}))
    url = f"http://127.0.0.1:{free_port()}"
    replay(state, Clients(), start=0, end=100, prometheus=url)
    assert state.phase == P.ERROR
    assert state.results["m"].measurements[0].message == (
        f'Post "{url}/api/v1/query": dial tcp {url[7:]}: connect: connection refused'
    )
