"""The circuit breaker's state machine, every transition, driven by an injected clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from svc_common.breaker import (
    BreakerConfig,
    BreakerState,
    CallTimeoutError,
    CircuitBreaker,
    CircuitOpenError,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Boom(Exception):
    pass


def make(**overrides: float) -> tuple[CircuitBreaker, Clock, list[tuple[str, str]]]:
    clock = Clock()
    seen: list[tuple[str, str]] = []
    config = BreakerConfig(
        **{
            "failure_threshold": 3,
            "success_threshold": 2,
            "call_timeout_s": 5.0,
            "recovery_timeout_s": 30.0,
            **overrides,
        }  # type: ignore[arg-type]
    )
    breaker = CircuitBreaker(
        "payment-service/charge",
        config,
        clock=clock,
        listener=lambda a, b: seen.append((a.value, b.value)),
        is_failure=lambda exc: not isinstance(exc, KeyError),
    )
    return breaker, clock, seen


async def ok() -> str:
    return "ok"


async def fail() -> str:
    raise Boom


def run(breaker: CircuitBreaker, factory: Callable[[], Awaitable[str]]) -> str | Exception:
    try:
        return asyncio.run(breaker.call(factory))
    except Exception as exc:
        return exc


def trip(breaker: CircuitBreaker) -> None:
    for _ in range(breaker.config.failure_threshold):
        assert isinstance(run(breaker, fail), Boom)
    assert breaker.state is BreakerState.OPEN


def test_closed_stays_closed_below_the_threshold_and_a_success_resets_the_count():
    breaker, _, seen = make()
    for _ in range(5):  # 2 failures then a success, repeatedly: never 3 in a row
        run(breaker, fail)
        run(breaker, fail)
        assert run(breaker, ok) == "ok"
    assert breaker.state is BreakerState.CLOSED and seen == []


def test_closed_to_open_after_consecutive_failures_then_calls_are_refused_unrun():
    breaker, clock, seen = make()
    trip(breaker)
    assert seen == [("closed", "open")]
    calls = []

    async def tracked() -> str:
        calls.append(1)
        return "ok"

    clock.now += 10
    refused = run(breaker, tracked)
    assert isinstance(refused, CircuitOpenError)
    assert refused.retry_after_s == pytest.approx(20.0)
    assert calls == []  # the dependency was not called at all


def test_open_to_half_open_after_the_recovery_timeout_then_closed_after_successes():
    breaker, clock, seen = make()
    trip(breaker)
    clock.now += 29.9
    assert isinstance(run(breaker, ok), CircuitOpenError)
    clock.now += 0.1
    assert run(breaker, ok) == "ok"
    assert breaker.state is BreakerState.HALF_OPEN
    assert run(breaker, ok) == "ok"
    assert breaker.state is BreakerState.CLOSED
    assert seen == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]
    # closed again with a fresh count: two failures do not re-open it
    run(breaker, fail)
    run(breaker, fail)
    assert breaker.state is BreakerState.CLOSED


def test_half_open_to_open_on_a_failure_and_the_recovery_timeout_starts_again():
    breaker, clock, seen = make()
    trip(breaker)
    clock.now += 30
    assert isinstance(run(breaker, fail), Boom)
    assert breaker.state is BreakerState.OPEN
    assert seen[-2:] == [("open", "half_open"), ("half_open", "open")]
    clock.now += 29
    assert isinstance(run(breaker, ok), CircuitOpenError)
    clock.now += 1
    assert run(breaker, ok) == "ok"


def test_half_open_admits_only_the_allowed_number_of_trial_calls():
    breaker, clock, _ = make()
    trip(breaker)
    clock.now += 30

    async def scenario() -> list[str | BaseException]:
        gate = asyncio.Event()

        async def slow() -> str:
            await gate.wait()
            return "ok"

        first = asyncio.create_task(breaker.call(slow))
        await asyncio.sleep(0)  # the first call is now the one trial in flight
        second = asyncio.create_task(breaker.call(ok))
        await asyncio.sleep(0)
        gate.set()
        return await asyncio.gather(first, second, return_exceptions=True)

    first, second = asyncio.run(scenario())
    assert first == "ok"
    assert isinstance(second, CircuitOpenError)


def test_a_call_timeout_counts_as_a_failure_and_says_so():
    breaker, _, seen = make(failure_threshold=1, call_timeout_s=0.01)

    async def hang() -> str:
        await asyncio.sleep(60)  # the behaviour: a dependency that hangs
        return "late"

    result = run(breaker, hang)
    assert isinstance(result, CallTimeoutError)
    assert "timed out after 0.01s" in str(result)
    assert seen == [("closed", "open")]


def test_errors_that_are_not_the_dependencys_fault_do_not_count():
    breaker, _, _ = make(failure_threshold=1)

    async def caller_error() -> str:
        raise KeyError("a 4xx, say")

    assert isinstance(run(breaker, caller_error), KeyError)
    assert breaker.state is BreakerState.CLOSED


def test_a_late_success_from_before_the_circuit_opened_does_not_close_it():
    breaker, _, _ = make(failure_threshold=1)

    async def scenario() -> None:
        gate = asyncio.Event()

        async def slow() -> str:
            await gate.wait()
            return "ok"

        straggler = asyncio.create_task(breaker.call(slow))
        await asyncio.sleep(0)
        with pytest.raises(Boom):
            await breaker.call(fail)
        gate.set()
        assert await straggler == "ok"

    asyncio.run(scenario())
    assert breaker.state is BreakerState.OPEN


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="thresholds"):
        BreakerConfig(failure_threshold=0)
    with pytest.raises(ValueError, match="timeouts"):
        BreakerConfig(call_timeout_s=0)


def test_check_refuses_while_open_without_changing_state():
    breaker, clock, seen = make()
    breaker.check()  # closed: nothing to say
    trip(breaker)
    with pytest.raises(CircuitOpenError):
        breaker.check()
    clock.now += 30
    breaker.check()  # due for a trial: check lets it through, but only a call moves the state
    assert breaker.state is BreakerState.OPEN and seen == [("closed", "open")]
