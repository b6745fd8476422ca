"""Real signals to a real `python -m harness chaos run`: rollbacks and the reset always run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.chaos.ledger import FaultLedger
from harness.process import spawn, stop
from tests.chaos.conftest import Lab, action
from tests.waiting import eventually

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-value-that-must-never-leak"


class Run:
    def __init__(self, lab: Lab, experiment: Path, *extra: str, env: dict[str, str] | None = None):
        self.lab = lab
        self.log = lab.root / "harness.log"
        argv = [sys.executable, "-m", "harness", "chaos", "run", str(experiment)]
        argv += ["--journal", str(lab.journal), "--state-dir", str(lab.state), *extra]
        self.proc = spawn(
            argv,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
            cwd=ROOT,
            log_path=self.log,
        )

    def wait_for(self, path: Path, timeout: float = 20.0) -> None:
        def appeared() -> bool:
            assert self.proc.poll() is None, f"harness exited early:\n{self.output()}"
            return path.exists()

        eventually(
            appeared,
            timeout=timeout,
            interval=0.02,
            message=lambda: f"{path.name} never appeared:\n{self.output()}",
        )

    def wait_for_log(self, text: str, timeout: float = 20.0) -> None:
        eventually(
            lambda: text in self.output(),
            timeout=timeout,
            interval=0.02,
            message=lambda: f"{text!r} never logged:\n{self.output()}",
        )

    def signal(self, sig: signal.Signals) -> None:
        os.kill(self.proc.pid, sig)

    def exit_code(self, timeout: float = 30.0) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"harness did not finish:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


@pytest.fixture
def runs() -> Iterator[list[Run]]:
    started: list[Run] = []
    try:
        yield started
    finally:
        for run in started:
            stop(run.proc)


def _interruptible(lab: Lab, rollback_seconds: float = 0.0) -> Path:
    waiting = action("wait", "wait", seconds=60, marker=str(lab.marker("method")))
    slow = lab.remove("a", seconds=rollback_seconds, marker=str(lab.marker("rollback")))
    return lab.experiment([lab.inject("a"), lab.inject("b"), waiting], [slow, lab.remove("b")])


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_method_rolls_back_and_exits_130(lab: Lab, runs: list[Run], sig) -> None:
    run = Run(lab, _interruptible(lab))
    runs.append(run)
    run.wait_for(lab.marker("method"))
    run.signal(sig)
    assert run.exit_code() == 130
    assert lab.lines() == ["inject a", "inject b", "remove a", "remove b"]
    journal = lab.journal_data()
    assert journal["status"] == "interrupted"
    assert journal["harness"]["signals"] == [sig.name]
    assert [r["status"] for r in journal["rollbacks"]] == ["succeeded", "succeeded"]
    assert FaultLedger.in_state_dir(lab.state).outstanding() == []
    assert "interrupted" in run.output()


def test_second_ctrl_c_during_rollback_lets_rollbacks_finish(lab: Lab, runs: list[Run]) -> None:
    run = Run(lab, _interruptible(lab, rollback_seconds=1.5))
    runs.append(run)
    run.wait_for(lab.marker("method"))
    run.signal(signal.SIGINT)
    run.wait_for(lab.marker("rollback"))
    run.signal(signal.SIGINT)
    assert run.exit_code() == 130
    assert lab.lines() == ["inject a", "inject b", "remove a", "remove b"]
    journal = lab.journal_data()
    assert journal["harness"]["signals"] == ["SIGINT", "SIGINT"]
    assert journal["harness"]["rollbacks_abandoned"] is False
    assert FaultLedger.in_state_dir(lab.state).outstanding() == []


def test_more_ctrl_c_skips_rollbacks_but_still_resets_every_fault(
    lab: Lab, runs: list[Run]
) -> None:
    run = Run(lab, _interruptible(lab, rollback_seconds=60))
    runs.append(run)
    run.wait_for(lab.marker("method"))
    run.signal(signal.SIGINT)
    run.wait_for(lab.marker("rollback"))
    run.signal(signal.SIGINT)
    run.wait_for_log("during rollbacks")
    run.signal(signal.SIGINT)
    assert run.exit_code() == 130
    lines = lab.lines()
    # the hung rollback and the one after it were skipped; the reset undid both faults
    assert lines[:2] == ["inject a", "inject b"]
    assert sorted(lines[2:]) == ["remove a", "remove b"]
    journal = lab.journal_data()
    assert journal["harness"]["rollbacks_abandoned"] is True
    assert len(journal["harness"]["reset"]["undone"]) == 2
    assert FaultLedger.in_state_dir(lab.state).outstanding() == []


def test_secrets_never_reach_journal_or_logs(lab: Lab, runs: list[Run]) -> None:
    echo = action("echo-secret", "echo", value="${token}")
    echo["provider"]["secrets"] = ["app"]
    config_echo = action("echo-config", "echo", value="${db_password}")
    path = lab.experiment(
        [echo, config_echo],
        [],
        secrets={
            "app": {"token": {"type": "env", "key": "CHAOS_TEST_TOKEN"}},
            "inline": {"password": SECRET + "-inline"},
        },
        configuration={"db_password": {"type": "env", "key": "CHAOS_TEST_DB"}},
    )
    run = Run(
        lab, path, "--verbose", env={"CHAOS_TEST_TOKEN": SECRET, "CHAOS_TEST_DB": SECRET + "-db"}
    )
    runs.append(run)
    assert run.exit_code() == 0, run.output()
    journal_text = lab.journal.read_text(encoding="utf-8")
    assert "echo:" in journal_text and "echo:" in run.output()  # the outputs were written
    for text in (journal_text, run.output()):
        assert SECRET not in text
    assert "CHAOS_TEST_TOKEN" in journal_text  # references stay readable


def test_bad_input_exits_2_with_one_line(lab: Lab, runs: list[Run]) -> None:
    path = lab.root / "nope.yaml"
    path.write_text("title: t\ndescription: d\nmethod: [{type: action}]\n", encoding="utf-8")
    run = Run(lab, path)
    runs.append(run)
    assert run.exit_code() == 2
    out = run.output().strip()
    assert len(out.splitlines()) == 1 and str(path) in out
    assert "Traceback" not in out
