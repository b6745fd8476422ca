"""Scheduling, counters, metric and run phases (docs/parity.md, Argo table) on a scripted clock."""

from __future__ import annotations

from typing import Any

import pytest

from harness.analysis.model import AnalysisSpec, Metric, prepare
from harness.analysis.phase import AnalysisPhase as P
from harness.analysis.state import AnalysisRunState, Measurement, MetricResult, limit_breach

S, F, I, E = P.SUCCESSFUL, P.FAILED, P.INCONCLUSIVE, P.ERROR  # noqa: E741  (phase initials)


def make(*metrics: dict[str, Any], scale: float = 1.0, **extra: Any) -> AnalysisRunState:
    spec = AnalysisSpec.model_validate({"metrics": list(metrics), **extra})
    return AnalysisRunState(prepare(spec, {}), time_scale=scale)


def metric(name: str = "m", **fields: Any) -> dict[str, Any]:
    return {"name": name, "provider": {"prometheus": {"query": "up"}}, **fields}


def drive(
    state: AnalysisRunState, script: dict[str, list[P]], until: float = 10_000
) -> list[tuple[str, float, P]]:
    """Replay with scripted measurement phases; returns (metric, time, phase) in order."""
    taken: list[tuple[str, float, P]] = []
    queues = {k: list(v) for k, v in script.items()}

    def measure(m: Metric, now: float) -> Measurement:
        phase = queues[m.name].pop(0)
        taken.append((m.name, now, phase))
        return Measurement(phase, now, now, value="[1]", message="boom" if phase == E else "")

    now = 0.0
    state.reconcile(now, measure)
    while not state.phase.completed:
        upcoming = state.next_time()
        if upcoming is None or upcoming > until:
            break
        now = upcoming
        state.reconcile(now, measure)
    return taken


def times(taken: list[tuple[str, float, P]]) -> list[float]:
    return [t for _, t, _ in taken]


class TestCountAndInterval:
    def test_no_count_no_interval_is_one_measurement(self) -> None:
        state = make(metric())
        assert times(drive(state, {"m": [S, S]})) == [0]
        assert (state.phase, state.message) == (S, "")

    def test_count_with_interval_from_previous_finish(self) -> None:
        state = make(metric(count=3, interval="60s"))
        assert times(drive(state, {"m": [S, S, S]})) == [0, 60, 120]
        assert state.phase == S
        assert state.results["m"].count == 3

    def test_initial_delay_counts_from_run_start(self) -> None:
        state = make(metric("now"), metric("later", initialDelay="30s", count=2, interval="10s"))
        taken = drive(state, {"now": [S], "later": [S, S]})
        assert [(n, t) for n, t, _ in taken] == [("now", 0), ("later", 30), ("later", 40)]
        assert state.phase == S

    def test_interval_scale_shrinks_every_wait(self) -> None:
        state = make(metric(count=3, interval="60s"), scale=0.1)
        assert times(drive(state, {"m": [S, E, S, S]})) == pytest.approx([0, 6, 7, 13])

    def test_unbounded_metric_runs_until_terminated(self) -> None:
        state = make(metric(interval="60s"))
        assert times(drive(state, {"m": [S] * 5}, until=240)) == [0, 60, 120, 180, 240]
        assert state.phase == P.RUNNING
        state.terminate(250)
        assert (state.phase, state.message) == (S, "Run Terminated")
        assert state.results["m"].phase == S


class TestLimits:
    @pytest.mark.parametrize(
        ("phases", "run_phase", "taken"),
        [
            ([F, F, S, S, S], S, 5),  # failed (2) is not > failureLimit (2)
            ([S, F, F, F, S], F, 4),  # the third failure trips it: failed (3) > 2
            ([F, F, F], F, 3),
        ],
    )
    def test_failure_limit_boundary(self, phases: list[P], run_phase: P, taken: int) -> None:
        state = make(metric(count=5, interval="1m", failureLimit=2))
        assert len(drive(state, {"m": phases})) == taken
        assert state.phase == run_phase
        if run_phase == F:
            assert (
                state.message == 'Metric "m" assessed Failed due to failed (3) > failureLimit (2)'
            )

    def test_default_failure_limit_zero_fails_on_first_failure(self) -> None:
        state = make(metric(count=3, interval="1m"))
        assert times(drive(state, {"m": [S, F, S]})) == [0, 60]
        assert state.message == 'Metric "m" assessed Failed due to failed (1) > failureLimit (0)'

    def test_first_inconclusive_makes_the_run_inconclusive(self) -> None:
        state = make(metric(count=3, interval="1m"))
        drive(state, {"m": [I, S, S]})
        assert state.phase == I
        assert state.message == (
            'Metric "m" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)'
        )

    def test_failure_limit_minus_one_with_consecutive_successes(self) -> None:
        state = make(metric(count=4, interval="1m", failureLimit=-1, consecutiveSuccessLimit=2))
        assert times(drive(state, {"m": [F, S, S, F]})) == [0, 60, 120]
        assert state.phase == S
        state = make(metric(count=4, interval="1m", failureLimit=-1, consecutiveSuccessLimit=2))
        drive(state, {"m": [F, S, F, S]})
        assert state.phase == F  # count reached without 2 successes in a row

    def test_count_reached_without_consecutive_successes_is_inconclusive(self) -> None:
        state = make(metric(count=4, interval="1m", failureLimit=2, consecutiveSuccessLimit=2))
        drive(state, {"m": [F, S, F, S]})
        assert state.phase == I
        assert state.message == ""  # no limit tripped, so Argo has no reason to give


class TestErrors:
    def test_errors_do_not_consume_count_and_retry_after_10s(self) -> None:
        state = make(metric(count=2, interval="60s"))
        taken = drive(state, {"m": [S, E, E, S]})
        assert times(taken) == [0, 60, 70, 80]
        result = state.results["m"]
        assert (result.count, result.error, result.consecutive_error) == (2, 2, 0)
        assert state.phase == S

    def test_fifth_consecutive_error_is_error(self) -> None:
        state = make(metric())
        assert times(drive(state, {"m": [E] * 6})) == [0, 10, 20, 30, 40]
        assert state.phase == E
        assert state.message == (
            'Metric "m" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4)'
            ': "Error Message: boom"'
        )
        assert state.results["m"].message == "boom"

    def test_a_success_resets_consecutive_errors(self) -> None:
        state = make(metric(count=3, interval="10s"))
        drive(state, {"m": [E, E, E, E, S, E, E, E, E, S, S]})
        assert state.phase == S

    def test_consecutive_error_limit_zero(self) -> None:
        state = make(metric(consecutiveErrorLimit=0))
        assert times(drive(state, {"m": [E]})) == [0]
        assert state.phase == E

    def test_error_outranks_inconclusive_outranks_failed(self) -> None:
        m = Metric.model_validate(metric())
        r = MetricResult("m", failed=1, inconclusive=1, consecutive_error=5)
        assert limit_breach(m, r)[0] == E
        r = MetricResult("m", failed=1, inconclusive=1)
        assert limit_breach(m, r) == (I, "inconclusive (1) > inconclusiveLimit (0)")


class TestRunPhase:
    @pytest.mark.parametrize(
        ("a", "b", "run"),
        [([F], [E] * 5, F), ([I], [E] * 5, E), ([S], [I], I), ([S], [S], S)],
    )
    def test_worst_metric_wins(self, a: list[P], b: list[P], run: P) -> None:
        state = make(metric("a", count=1), metric("b", consecutiveErrorLimit=0))
        drive(state, {"a": a, "b": b})
        assert state.phase == run

    def test_a_failure_terminates_the_others(self) -> None:
        state = make(metric("bad"), metric("bg", interval="30s"), metric("late", initialDelay="5m"))
        taken = drive(state, {"bad": [F], "bg": [S, S], "late": [S]})
        assert [(n, t) for n, t, _ in taken] == [("bad", 0), ("bg", 0)]
        assert state.phase == F
        assert state.results["bg"].phase == S
        assert "late" not in state.results

    def test_dry_run_metrics_never_decide_the_run(self) -> None:
        state = make(metric("shadow"), metric("real"), dryRun=[{"metricName": "sha"}])
        drive(state, {"shadow": [F], "real": [S]})
        assert (state.phase, state.message) == (S, "")
        shadow = state.results["shadow"]
        assert shadow.dry_run and shadow.phase == F
        assert shadow.message == "Metric assessed Failed due to failed (1) > failureLimit (0)"

    def test_running_until_every_metric_completes(self) -> None:
        state = make(metric("a"), metric("b", count=2, interval="1m"))
        drive(state, {"a": [S], "b": [S, S]}, until=30)
        assert state.phase == P.RUNNING
        assert state.results["a"].phase == S

    def test_spec_error_is_an_error_run(self) -> None:
        spec = AnalysisSpec.model_validate({"args": [{"name": "x"}], "metrics": [metric()]})
        state = AnalysisRunState.from_spec(spec, {})
        assert state.phase == E
        assert state.message == 'Unable to resolve metric arguments: argument "x" was not supplied'

    def test_secret_values_are_redacted_in_messages(self) -> None:
        spec = AnalysisSpec.model_validate(
            {
                "args": [
                    {"name": "token", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
                ],
                "metrics": [metric()],
            }
        )
        state = AnalysisRunState(prepare(spec, {"token": "hunter2"}))
        m = state.metrics[0]
        state.record(m, Measurement(E, 0, 0, message="401 for token hunter2"))
        assert state.results["m"].measurements[0].message == "401 for token *****"


class TestLiveDriver:
    """`run_live` on an injected clock: the loop `harness run` drives during a scenario."""

    class Clock:
        def __init__(self) -> None:
            self.now = 1000.0

        def __call__(self) -> float:
            return self.now

        def sleep(self, seconds: float) -> None:
            self.now += seconds

    class Source:
        def __init__(self, clock: TestLiveDriver.Clock) -> None:
            self.clock = clock
            self.calls: list[float] = []

        def __call__(self, server: Any) -> Any:  # one source for every server
            return self

        def instant(self, query: str, at: float | None = None, *, timeout: Any = None) -> Any:
            from harness.contracts.promql import QueryResponse, Sample, Vector

            self.calls.append(self.clock.now)
            self.clock.now += 0.5  # each query takes half a second
            return QueryResponse(Vector((Sample({}, 1.0, self.clock.now),)))

    def test_next_measurement_counts_from_the_previous_finish(self) -> None:
        from harness.analysis.drivers import run_live

        clock = self.Clock()
        source = self.Source(clock)
        state = make(metric(count=3, interval="10s", successCondition="result[0] == 1"))
        assert run_live(state, source, clock=clock, sleep=clock.sleep) == []
        assert source.calls == [1000.0, 1010.5, 1021.0]
        assert state.phase == S

    def test_until_terminates_unbounded_and_reports_unfinished(self) -> None:
        from harness.analysis.drivers import run_live

        clock = self.Clock()
        state = make(metric("bg", interval="10s"), metric("n", count=9, interval="10s"))
        left = run_live(state, self.Source(clock), clock=clock, sleep=clock.sleep, until=1030)
        assert left == ["n"]
        assert state.phase == P.RUNNING
        clock = self.Clock()
        state = make(metric("bg", interval="10s"))
        assert run_live(state, self.Source(clock), clock=clock, sleep=clock.sleep, until=1030) == []
        assert (state.phase, state.message) == (S, "Run Terminated")
        assert len(state.results["bg"].measurements) == 3
