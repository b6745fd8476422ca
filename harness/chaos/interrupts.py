"""Signal handling that keeps rollbacks and the fault reset out of reach of Ctrl-C.

Chaos Toolkit's own handlers turn SIGTERM into an interruption and let a second Ctrl-C stop the
remaining rollbacks (docs/chaos.md, "What happens on every ending"). The guard replaces them for
the duration of a run and decides per phase:

* `running` (hypotheses and method): SIGINT, SIGTERM, SIGUSR1 and SIGUSR2 interrupt the run by
  raising `KeyboardInterrupt`; the runner records the run as interrupted and rolls back.
* `rolling-back`: the first signal only warns; a further one abandons the remaining declared
  rollbacks (they may hang on a dead dependency), and the full fault reset still follows.
* `resetting`: signals are counted and ignored; the reset is bounded by its own timeouts.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterator
from enum import StrEnum
from types import FrameType

logger = logging.getLogger("harness.chaos")

GUARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2)


class Phase(StrEnum):
    RUNNING = "running"
    ROLLING_BACK = "rolling-back"
    RESETTING = "resetting"


class InterruptGuard:
    """Owns SIGINT/SIGTERM/SIGUSR1/SIGUSR2 while installed; records every signal received."""

    def __init__(self) -> None:
        self.phase = Phase.RUNNING
        self.received: list[str] = []
        self._in_rollback = 0
        self.rollbacks_abandoned = False

    @property
    def interrupted(self) -> bool:
        return bool(self.received)

    def enter(self, phase: Phase) -> None:
        self.phase = phase

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        self.received.append(name)
        if self.phase is Phase.RUNNING:
            logger.warning("%s received: stopping the experiment, rollbacks will run", name)
            raise KeyboardInterrupt(name)
        if self.phase is Phase.ROLLING_BACK:
            self._in_rollback += 1
            if self._in_rollback == 1:
                logger.warning(
                    "%s received during rollbacks: they keep running "
                    "(send it again to skip the rest; every fault is still reset)",
                    name,
                )
                return
            logger.warning(
                "%s received again: skipping remaining rollbacks, resetting faults", name
            )
            self.rollbacks_abandoned = True
            raise KeyboardInterrupt(name)
        logger.warning("%s received while resetting faults: finishing the reset first", name)

    @contextlib.contextmanager
    def installed(self) -> Iterator[InterruptGuard]:
        if threading.current_thread() is not threading.main_thread():
            # signal.signal only works in the main thread; callers there still get rollbacks
            # from Chaos Toolkit's strategy and the reset, just no signal interception.
            yield self
            return
        previous = {sig: signal.signal(sig, self._handle) for sig in GUARDED_SIGNALS}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def request_stop() -> None:
    """Stop the run in this process from any thread (SLO abort): rollbacks and reset follow.

    Delivered as SIGUSR1 to ourselves, the only way to interrupt the main thread wherever it
    blocks (the same mechanism as chaoslib's `exit_gracefully`); the journal records SIGUSR1.
    """
    os.kill(os.getpid(), signal.SIGUSR1)
