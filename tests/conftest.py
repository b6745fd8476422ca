"""Shared fixtures. Tests talk to 127.0.0.1 only and pick free ports; nothing fixed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def harness_cli() -> list[str]:
    """argv prefix that runs this checkout's CLI in a fresh interpreter."""
    return [sys.executable, "-m", "harness"]


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private state folder, so tests never touch the developer's `.harness/`."""
    path = tmp_path / "state"
    monkeypatch.setenv("HARNESS_STATE_DIR", str(path))
    return path


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
