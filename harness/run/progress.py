"""Progress while a scenario runs: one line every ~2 s on stderr (phase, elapsed, load).

The figures come from Locust's live CSV history (one row a second, cumulative counts), so the
rate and error ratio are what the clients saw over the last few seconds. On a terminal the line
is rewritten in place; otherwise (CI logs) each update is a plain line of its own.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from harness.contracts.locust import ClientRow

RATE_SPAN = 3.0  # seconds of history the current rate and error ratio are taken over


@dataclass(frozen=True)
class LiveLoad:
    rps: float
    error_ratio: float | None  # None when no request finished in the span
    users: int


def live_load(rows: Sequence[ClientRow], span: float = RATE_SPAN) -> LiveLoad | None:
    """Rate and error ratio over the last `span` seconds of cumulative rows (pure)."""
    if len(rows) < 2:
        return None
    last = rows[-1]
    first = next((r for r in reversed(rows[:-1]) if last.t - r.t >= span), rows[0])
    dt = last.t - first.t
    if dt <= 0:
        return None
    requests = max(0.0, last.requests - first.requests)
    failures = max(0.0, last.failures - first.failures)
    ratio = failures / requests if requests > 0 else None
    return LiveLoad(rps=requests / dt, error_ratio=ratio, users=last.users)


def progress_line(
    scenario: str, phase: str, elapsed: float, in_phase: float, length: float | None,
    load: LiveLoad | None,
) -> str:  # fmt: skip
    """`smoke  baseline  6/10s  elapsed 0:17  6.1 req/s  errors 0.00%  10 users`."""
    minutes, seconds = divmod(int(elapsed), 60)
    part = f"{in_phase:.0f}/{length:.0f}s" if length is not None else f"{in_phase:.0f}s"
    line = f"{scenario}  {phase:<9} {part:>8}  elapsed {minutes}:{seconds:02d}"
    if load is None:
        return line + "  waiting for load statistics"
    errors = f"{load.error_ratio:.2%}" if load.error_ratio is not None else "-"
    return line + f"  {load.rps:.1f} req/s  errors {errors}  {load.users} users"


class ProgressPrinter:
    """Writes progress lines; rewrites one line in place on a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self._dirty = False

    def update(self, line: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + line)
            self._dirty = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def say(self, line: str) -> None:
        """A message of its own (phase changes, warnings): never overwritten."""
        if self._dirty:
            self.stream.write("\r\033[K")
            self._dirty = False
        self.stream.write(line + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self._dirty:
            self.stream.write("\n")
            self.stream.flush()
            self._dirty = False
