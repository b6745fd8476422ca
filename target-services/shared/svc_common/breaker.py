"""An async circuit breaker: closed, open, half-open (the seed's semantics, its defects fixed).

    CLOSED --failure_threshold consecutive failures--> OPEN
    OPEN --recovery_timeout elapsed, next call--> HALF_OPEN (admits `half_open_max_calls` trials)
    HALF_OPEN --success_threshold successes--> CLOSED
    HALF_OPEN --any failure--> OPEN (the recovery timeout starts again)

Fixed against the seed: failures are consecutive (a success in CLOSED resets the count, so a
long-lived client does not trip on failures spread over hours); the recovery timeout counts from
the moment the circuit opened; half-open admits a bounded number of trial calls instead of
letting every waiting caller through; outcomes of calls admitted under an older state are
ignored; cancellation is not a failure. The clock is injected so tests can drive time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"

    @property
    def gauge(self) -> int:
        """The value exported as `circuit_breaker_state` (0 closed, 1 open, 2 half-open)."""
        return {"closed": 0, "open": 1, "half_open": 2}[self.value]


@dataclass(frozen=True)
class BreakerConfig:
    failure_threshold: int = 5
    success_threshold: int = 2
    call_timeout_s: float = 2.0
    recovery_timeout_s: float = 10.0
    half_open_max_calls: int = 1

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.success_threshold < 1:
            raise ValueError("breaker thresholds must be at least 1")
        if self.call_timeout_s <= 0 or self.recovery_timeout_s < 0:
            raise ValueError("breaker timeouts must be positive")
        if self.half_open_max_calls < 1:
            raise ValueError("half_open_max_calls must be at least 1")


class CircuitOpenError(Exception):
    """The breaker refused the call without trying it."""

    def __init__(self, name: str, retry_after_s: float) -> None:
        super().__init__(f"circuit {name} is open; retry in {retry_after_s:.1f}s")
        self.name = name
        self.retry_after_s = retry_after_s


class CallTimeoutError(Exception):
    """The call did not finish within the breaker's call timeout (counted as a failure)."""

    def __init__(self, name: str, timeout_s: float) -> None:
        super().__init__(f"call through {name} timed out after {timeout_s:g}s")
        self.name = name
        self.timeout_s = timeout_s


Listener = Callable[[BreakerState, BreakerState], None]


class CircuitBreaker:
    """Guards calls to one dependency; `call` runs a coroutine factory under its rules."""

    def __init__(
        self,
        name: str,
        config: BreakerConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        listener: Listener | None = None,
        is_failure: Callable[[Exception], bool] = lambda _exc: True,
    ) -> None:
        self.name = name
        self.config = config or BreakerConfig()
        self._clock = clock
        self._listener = listener
        self._is_failure = is_failure
        self._state = BreakerState.CLOSED
        self._generation = 0  # bumped on every transition; stale outcomes are ignored
        self._failures = 0
        self._successes = 0
        self._trials = 0
        self._opened_at = 0.0

    @property
    def state(self) -> BreakerState:
        return self._state

    def _transition(self, to: BreakerState) -> None:
        before = self._state
        self._state = to
        self._generation += 1
        self._failures = self._successes = self._trials = 0
        if to is BreakerState.OPEN:
            self._opened_at = self._clock()
        if self._listener is not None:
            self._listener(before, to)

    def check(self) -> None:
        """Raise CircuitOpenError if a call now would be refused; changes nothing. Lets a caller
        refuse a multi-step job up front instead of failing it half way."""
        if self._state is BreakerState.OPEN:
            waited = self._clock() - self._opened_at
            if waited < self.config.recovery_timeout_s:
                raise CircuitOpenError(self.name, self.config.recovery_timeout_s - waited)

    def _admit(self) -> int:
        """Decide whether a call may go ahead; returns the generation it was admitted under."""
        if self._state is BreakerState.OPEN:
            waited = self._clock() - self._opened_at
            if waited < self.config.recovery_timeout_s:
                raise CircuitOpenError(self.name, self.config.recovery_timeout_s - waited)
            self._transition(BreakerState.HALF_OPEN)
        if self._state is BreakerState.HALF_OPEN:
            if self._trials >= self.config.half_open_max_calls:
                raise CircuitOpenError(self.name, 0.0)
            self._trials += 1
        return self._generation

    def _on_success(self, generation: int) -> None:
        if generation != self._generation:
            return
        if self._state is BreakerState.HALF_OPEN:
            self._successes += 1
            self._trials -= 1
            if self._successes >= self.config.success_threshold:
                self._transition(BreakerState.CLOSED)
        else:
            self._failures = 0

    def _on_failure(self, generation: int) -> None:
        if generation != self._generation:
            return
        if self._state is BreakerState.HALF_OPEN:
            self._transition(BreakerState.OPEN)
            return
        self._failures += 1
        if self._failures >= self.config.failure_threshold:
            self._transition(BreakerState.OPEN)

    def _on_neutral(self, generation: int) -> None:
        """An outcome that says nothing about the dependency: free the trial slot."""
        if generation == self._generation and self._state is BreakerState.HALF_OPEN:
            self._trials -= 1

    async def call(self, factory: Callable[[], Awaitable[T]]) -> T:
        generation = self._admit()
        try:
            async with asyncio.timeout(self.config.call_timeout_s):
                result = await factory()
        except TimeoutError as exc:
            self._on_failure(generation)
            raise CallTimeoutError(self.name, self.config.call_timeout_s) from exc
        except Exception as exc:
            if self._is_failure(exc):
                self._on_failure(generation)
            else:
                self._on_neutral(generation)
            raise
        except BaseException:  # cancelled: says nothing about the dependency
            self._on_neutral(generation)
            raise
        self._on_success(generation)
        return result
