"""The closed phase vocabulary of Argo analysis and its order (`utils/analysis/helpers.go`)."""

from __future__ import annotations

from enum import StrEnum


class AnalysisPhase(StrEnum):
    PENDING = "Pending"
    RUNNING = "Running"
    SUCCESSFUL = "Successful"
    FAILED = "Failed"
    ERROR = "Error"
    INCONCLUSIVE = "Inconclusive"

    @property
    def completed(self) -> bool:
        return self in _COMPLETED


_COMPLETED = {
    AnalysisPhase.SUCCESSFUL,
    AnalysisPhase.FAILED,
    AnalysisPhase.ERROR,
    AnalysisPhase.INCONCLUSIVE,
}

# `analysisStatusOrder`, best to worst: Failed is worse than Error.
_ORDER = [
    AnalysisPhase.SUCCESSFUL,
    AnalysisPhase.RUNNING,
    AnalysisPhase.PENDING,
    AnalysisPhase.INCONCLUSIVE,
    AnalysisPhase.ERROR,
    AnalysisPhase.FAILED,
]


def is_worse(current: AnalysisPhase, new: AnalysisPhase) -> bool:
    """`IsWorse(current, new)`: True when `new` ranks after `current` in Argo's order."""
    return _ORDER.index(new) > _ORDER.index(current)
