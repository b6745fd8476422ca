"""The open model inside Locust: arrivals on a schedule that never waits for responses.

`--arrival-rate` (or `$LOCUST_ARRIVAL_RATE`): `40` requests/s, or steps `0:10,8:40` (see
`common.arrivals`). Unset, nothing changes: Locust's closed model (users and wait times).

With a rate, `LeanHttpUser`'s users become sessions: each runs `on_start` (sign-up, log-in)
and then waits. One pacer greenlet starts each arrival at its due time on a greenlet of its
own, which runs one task of a random ready session; the first request of that task is timed
from the arrival's intended start (`intended_start`), so a stalled system shows its full stall
(coordinated omission corrected) and Locust's statistics see the same numbers. The pacer
starts its clock when the first session is ready, and counts, per second, the arrivals the
schedule asked for and the lag of each one it sent (`common.latency`'s recorder): a generator
that falls behind is visible, and `harness run` refuses to judge it.
"""

from __future__ import annotations

import logging
import random
import time
import traceback
from typing import Any

import gevent
from common.arrivals import Steps, arrivals, format_rate, parse_rate
from common.latency import RECORDER, before_drain
from greenlet import getcurrent
from locust import events
from locust.exception import InterruptTaskSet, RescheduleTask, StopUser

_log = logging.getLogger("harness.open_model")
# arrival greenlet -> (wall, perf) of its intended start, until its first request; a plain dict
# (a gevent.local costs a per-greenlet dict and weakref for every arrival)
_due: dict[Any, tuple[float, float]] = {}


def intended_start() -> tuple[float, float] | None:
    """The intended start of the current arrival (once: later requests of the task are timed
    from their own start)."""
    return _due.pop(getcurrent(), None) if _due else None


class Pacer:
    def __init__(self) -> None:
        self.steps: Steps | None = None
        self.sessions: list[Any] = []
        self._greenlet: Any = None
        self._t0_wall = 0.0
        self._t0_perf = 0.0
        self._targets: Any = None  # the schedule again, counted up to now at each drain
        self._next_target: float | None = None

    @property
    def active(self) -> bool:
        return self.steps is not None

    def ready(self, user: Any) -> None:
        self.sessions.append(user)
        if self._greenlet is None and self.steps is not None:
            self._t0_wall, self._t0_perf = time.time(), time.perf_counter()
            self._targets = arrivals(self.steps)
            self._next_target = next(self._targets, None)
            self._greenlet = gevent.spawn(self._run)

    def gone(self, user: Any) -> None:
        if user in self.sessions:
            self.sessions.remove(user)

    def count_targets(self) -> None:
        """Record the arrivals due up to now, per second, whatever the pacer managed to send."""
        if self._targets is None:
            return
        now = time.perf_counter() - self._t0_perf
        while self._next_target is not None and self._next_target <= now:
            RECORDER.scheduled(int(self._t0_wall + self._next_target), 1.0)
            self._next_target = next(self._targets, None)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
        self.count_targets()
        self._greenlet = self._targets = None
        self.sessions.clear()

    def _run(self) -> None:
        assert self.steps is not None
        t0_wall, t0_perf = self._t0_wall, self._t0_perf
        late = 0
        for due in arrivals(self.steps):
            wait = t0_perf + due - time.perf_counter()
            if wait > 0:
                gevent.sleep(wait)
                late = 0
            else:
                late += 1
                if late % 16 == 0:  # behind schedule: still let the arrivals run
                    gevent.sleep(0)
            now = time.perf_counter()
            wall = t0_wall + due
            RECORDER.sent(int(wall), int((now - t0_perf - due) * 1_000_000))
            if self.sessions:
                gevent.spawn(_arrive, random.choice(self.sessions), (wall, t0_perf + due))


def _arrive(user: Any, due: tuple[float, float]) -> None:
    me = getcurrent()
    _due[me] = due
    taskset = user._taskset_instance
    try:
        taskset.execute_task(taskset.get_next_task())
    except (RescheduleTask, InterruptTaskSet, StopUser, gevent.GreenletExit):
        pass
    except Exception as exc:  # as Locust does for a task: log it, count it, go on
        user.environment.events.user_error.fire(
            user_instance=user, exception=exc, tb=exc.__traceback__
        )
        _log.error("%s\n%s", exc, traceback.format_exc())
    finally:
        _due.pop(me, None)


PACER = Pacer()
before_drain(PACER.count_targets)


@events.init_command_line_parser.add_listener  # type: ignore[untyped-decorator]  # untyped
def _add_option(parser: Any) -> None:
    parser.add_argument(
        "--arrival-rate",
        type=str,
        default="",
        env_var="LOCUST_ARRIVAL_RATE",
        help="open model: requests started per second, e.g. 40 or 0:10,8:40 (default: closed)",
    )


@events.init.add_listener  # type: ignore[untyped-decorator]  # locust events are untyped
def _configure(environment: Any, **_: Any) -> None:
    text = getattr(getattr(environment, "parsed_options", None), "arrival_rate", "") or ""
    if not text:
        return
    try:
        PACER.steps = parse_rate(text)
    except ValueError as exc:
        import sys

        sys.stderr.write(f"--arrival-rate: {text!r}: {exc} (e.g. 40 or 0:10,8:40)\n")
        sys.exit(2)
    _log.info("open model: %s requests/s", format_rate(PACER.steps))
    environment.events.test_stop.add_listener(lambda **_: PACER.stop())
