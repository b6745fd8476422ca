"""Helpers to write small experiments whose activities record what they did to files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PROVIDERS = "tests.chaos.providers"


def action(title: str, func: str, **arguments: Any) -> dict[str, Any]:
    return {
        "type": "action",
        "name": title,
        "provider": {"type": "python", "module": PROVIDERS, "func": func, "arguments": arguments},
    }


def value_probe(path: Path, expected: str = "ok") -> dict[str, Any]:
    return {
        "type": "probe",
        "name": "value-is-ok",
        "tolerance": expected,
        "provider": {
            "type": "python",
            "module": PROVIDERS,
            "func": "read_value",
            "arguments": {"path": str(path)},
        },
    }


class Lab:
    """A private folder with a steady-state value file and a record of every activity call."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.value = root / "value"
        self.value.write_text("ok", encoding="utf-8")
        self.record = root / "record.log"
        self.journal = root / "journal.json"
        self.state = root / "state"

    def marker(self, name: str) -> Path:
        return self.root / f"{name}.marker"

    def experiment(
        self,
        method: list[dict[str, Any]],
        rollbacks: list[dict[str, Any]],
        **extra: Any,
    ) -> Path:
        doc = {
            "title": "recorder experiment",
            "description": "activities record to a file",
            "steady-state-hypothesis": {
                "title": "value is ok",
                "probes": [value_probe(self.value)],
            },
            "method": method,
            "rollbacks": rollbacks,
            **extra,
        }
        path = self.root / "experiment.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        return path

    def lines(self) -> list[str]:
        if not self.record.exists():
            return []
        return self.record.read_text(encoding="utf-8").splitlines()

    def journal_data(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.journal.read_text(encoding="utf-8"))
        return data

    def inject(self, name: str) -> dict[str, Any]:
        return action(f"inject-{name}", "inject", name=name, record_file=str(self.record))

    def remove(self, name: str, **kw: Any) -> dict[str, Any]:
        return action(f"remove-{name}", "remove", name=name, record_file=str(self.record), **kw)


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    return Lab(tmp_path)


MakeLab = Callable[[], Lab]
