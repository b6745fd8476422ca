"""The phases of a run as they happen: warm-up, baseline, fault, recovery (pure bookkeeping).

`harness run` opens a phase when it starts and closes it when it ends; an interrupted or aborted
run ends the open phase at that moment, so the report judges exactly the windows that were
reached. The fault window runs from the start of the chaos method to its end (or, when the
scenario fixes its length, for that long from the start of the method).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.scenario.model import Phase
from harness.slo.model import PhaseWindow


@dataclass
class Timeline:
    """Closed windows plus at most one open phase."""

    windows: list[PhaseWindow] = field(default_factory=list)
    current: Phase | None = None
    opened_at: float = 0.0

    def begin(self, phase: Phase, at: float) -> None:
        """Open `phase` at `at`, closing the phase still open (if any) there."""
        self.close(at)
        self.current, self.opened_at = phase, at

    def close(self, at: float) -> PhaseWindow | None:
        """Close the open phase at `at`; windows shorter than nothing are dropped."""
        if self.current is None:
            return None
        window = PhaseWindow(phase=self.current, start=self.opened_at, end=max(at, self.opened_at))
        self.current = None
        if window.end > window.start:
            self.windows.append(window)
            return window
        return None

    def add(self, phase: Phase, start: float, end: float) -> None:
        """Record a window measured elsewhere (the fault window, from the chaos run)."""
        if end > start:
            self.windows.append(PhaseWindow(phase=phase, start=start, end=end))

    def so_far(self, now: float) -> list[PhaseWindow]:
        """Closed windows plus the open one ending `now` (what a breach check looks at)."""
        out = list(self.windows)
        if self.current is not None and now > self.opened_at:
            out.append(PhaseWindow(phase=self.current, start=self.opened_at, end=now))
        return out

    def reached(self, phase: Phase) -> bool:
        return any(w.phase is phase for w in self.windows)


def fault_window(
    method_start: float | None,
    method_end: float | None,
    *,
    stopped_at: float,
    fixed: float | None,
) -> tuple[float, float] | None:
    """The fault window from the method's timing; None when the method never started.

    A method cut short (interrupt, abort) ends at `stopped_at`. A fixed fault phase lasts its
    length from the start of the method, unless the method itself took longer (the faults were
    in place until it ended).
    """
    if method_start is None:
        return None
    end = method_end if method_end is not None else stopped_at
    if fixed is not None and method_end is not None:
        end = max(end, method_start + fixed)
    end = min(end, stopped_at)
    return (method_start, end) if end > method_start else None
