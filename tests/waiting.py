"""Waiting in tests: poll the condition a test awaits, never sleep for a guessed time.

`eventually(lambda: ...)` returns the first truthy value of the predicate and fails the test,
with the last value seen, when none comes within the timeout. A `time.sleep` left in a test is
the behaviour under test (time that must pass), and says so in a comment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    predicate: Callable[[], T | None],
    *,
    timeout: float = 15.0,
    interval: float = 0.1,
    message: str | Callable[[], str] = "",
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """Call `predicate` every `interval` seconds until it returns something truthy; return it.

    `message` (or a callable giving it, read only on failure, e.g. a process's output so far)
    says what never happened. Exceptions of the `ignoring` types count as "not yet", e.g. a
    connection refused while a server starts; the last one is chained to the failure.
    """
    deadline = time.monotonic() + timeout
    value: T | None = None
    error: BaseException | None = None
    while True:
        try:
            value = predicate()
            error = None
        except ignoring as exc:
            error = exc
        else:
            if value:
                return value
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(interval, left))
    what = message() if callable(message) else message
    last = f"last error: {error!r}" if error is not None else f"last value: {value!r}"
    raise AssertionError(
        f"{what + ': ' if what else ''}condition not met within {timeout}s ({last})"
    ) from error
