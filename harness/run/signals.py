"""Signals during `harness run`, outside the chaos experiment.

While the experiment runs, the chaos runner's own guard owns SIGINT/SIGTERM/SIGUSR1/SIGUSR2
(rollbacks and the fault reset cannot be cut short) and puts these handlers back afterwards.
Around it:

* running (stack, load, warm-up, baseline, recovery): SIGINT and SIGTERM interrupt the run
  (`KeyboardInterrupt`); what was reached is still judged and reported;
* finishing (stopping load, judging, writing the report): the first signals only warn, so the
  partial report gets written; the third one gives up on it;
* SIGUSR1 is what an SLO abort sends to stop the experiment (`request_stop`); arriving just
  after the experiment ended, it must not kill the process, so it is ignored here.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
GIVE_UP_AFTER = 3  # signals while finishing before the report is abandoned


class RunSignals:
    def __init__(self) -> None:
        self.received: list[str] = []
        self.finishing = False
        self._while_finishing = 0

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        self.received.append(name)
        if not self.finishing:
            raise KeyboardInterrupt(name)
        self._while_finishing += 1
        if self._while_finishing >= GIVE_UP_AFTER:
            raise KeyboardInterrupt(name)
        sys.stderr.write(
            f"harness run: {name}: writing the report first (send it again to give up)\n"
        )

    @contextlib.contextmanager
    def installed(self) -> Iterator[RunSignals]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {sig: signal.signal(sig, self._handle) for sig in STOP_SIGNALS}
        # a handler, not SIG_IGN: ignored signals would stay ignored in every child we start
        previous[signal.SIGUSR1] = signal.signal(signal.SIGUSR1, _late_stop)
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _late_stop(signum: int, frame: FrameType | None) -> None:
    """An SLO abort's stop request that arrived after the experiment ended: nothing to stop."""
