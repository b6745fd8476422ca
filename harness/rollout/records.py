"""What one blue-green reconcile reads and decides: the Rollout, its ReplicaSets, the Decision."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.rollout.spec import BlueGreen
from harness.rollout.status import RolloutStatus, RunStatus


@dataclass(frozen=True)
class Rollout:
    name: str
    replicas: int
    strategy: BlueGreen
    template_hash: str  # the hash of the pod template the spec asks for now


@dataclass(frozen=True)
class ReplicaSet:
    """One revision's pods as they are: desired count, available pods, scale-down deadline."""

    hash: str
    revision: int
    replicas: int
    available: int
    scale_down_at: float | None = None


@dataclass
class Decision:
    """What one pass decided. `replicas`/`scale_down_at` hold only what changes."""

    status: RolloutStatus
    create: ReplicaSet | None = None
    replicas: dict[str, int] = field(default_factory=dict)
    scale_down_at: dict[str, float | None] = field(default_factory=dict)
    start_runs: list[RunStatus] = field(default_factory=list)
    terminate_runs: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.create
            or self.replicas
            or self.scale_down_at
            or self.start_runs
            or self.terminate_runs
        )
