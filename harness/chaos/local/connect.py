"""Connect the chaos protocols to the local stack in a state folder (adapters live beside)."""

from __future__ import annotations

from pathlib import Path

from harness.chaos.protocols import FaultControl, PodControl
from harness.errors import CouldNotRun


def connect_local(state_dir: Path) -> tuple[PodControl | None, FaultControl | None]:
    """PodControl and FaultControl for the stack running from `state_dir`."""
    raise CouldNotRun(f"the local cluster client is not available yet (state folder {state_dir})")
