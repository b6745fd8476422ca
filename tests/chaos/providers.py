"""Real Python activities for runner tests: each records what it did, one line per call.

A "fault" here is a line in a file; injecting one registers it in the harness fault ledger
with an undo, exactly as any third-party Python activity would, so the full reset can be seen.
"""

from __future__ import annotations

import time
from pathlib import Path

from harness.chaos.context import mark_applied, mark_removed, record_fault
from harness.chaos.ledger import Undo


def _take(seconds: float) -> None:
    """Take this long: the activity's duration is what the tests interrupt, not a wait.

    In short steps: chaoslib stops an activity's thread with an asynchronous exception, which
    Python delivers between bytecodes, so never inside one long `time.sleep`.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.02)


def _log(record_file: str, line: str) -> None:
    with open(record_file, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()


def inject(name: str, record_file: str) -> str:
    """Record the fault in the ledger (before applying it), then 'apply' it."""
    rec = record_fault(
        kind="file",
        target=name,
        spec={"record_file": record_file},
        undo=Undo("tests.chaos.providers", "remove", {"name": name, "record_file": record_file}),
    )
    _log(record_file, f"inject {name}")
    mark_applied(rec.fault_id)
    return name


def remove(name: str, record_file: str, seconds: float = 0.0, marker: str = "") -> str:
    """Idempotent removal; optionally slow (touching `marker` first) to be interrupted."""
    if marker:
        Path(marker).touch()
    _take(seconds)
    _log(record_file, f"remove {name}")
    mark_removed(kind="file", target=name)
    return name


def wait(seconds: float, marker: str = "") -> bool:
    """Touch `marker` (so a test knows we are here), then wait: the window for a signal."""
    if marker:
        Path(marker).touch()
    _take(seconds)
    return True


def read_value(path: str) -> str:
    """A probe: the current content of a file (steady state is what the test wrote there)."""
    return Path(path).read_text(encoding="utf-8").strip()


def write_value(path: str, value: str) -> str:
    Path(path).write_text(value, encoding="utf-8")
    return value


def explode(message: str = "boom") -> None:
    """An action that fails."""
    raise RuntimeError(message)


def echo(value: str) -> str:
    """Returns what it was given (secrets included: the journal must not show them)."""
    return f"echo:{value}"
