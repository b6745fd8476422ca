"""Rollbacks run on every ending, and every ending has its exit code (real chaoslib runs)."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from harness.chaos.ledger import FaultLedger, Undo
from harness.chaos.outcome import Ending
from harness.chaos.runner import RunRequest, run_experiment
from harness.errors import ConfigError, ExitCode
from tests.chaos.conftest import Lab, action
from tests.waiting import eventually


def _run(lab: Lab, path):
    return run_experiment(RunRequest(experiment=path, journal=lab.journal, state_dir=lab.state))


def test_success_rolls_back_and_exits_0(lab: Lab) -> None:
    path = lab.experiment([lab.inject("a")], [lab.remove("a")])
    result = _run(lab, path)
    assert result.outcome.ending is Ending.HELD
    assert result.outcome.exit_code is ExitCode.PASSED
    assert lab.lines() == ["inject a", "remove a"]
    assert lab.journal_data()["harness"]["exit_code"] == 0
    assert FaultLedger.in_state_dir(lab.state).outstanding() == []


def test_deviation_rolls_back_and_exits_1(lab: Lab) -> None:
    spoil = action("spoil", "write_value", path=str(lab.value), value="broken")
    path = lab.experiment([lab.inject("a"), spoil], [lab.remove("a")])
    result = _run(lab, path)
    assert result.outcome.ending is Ending.DEVIATED
    assert result.outcome.exit_code is ExitCode.FAILED
    assert "value-is-ok" in result.outcome.reason
    assert lab.lines() == ["inject a", "remove a"]
    assert lab.journal_data()["deviated"] is True


def test_action_failure_rolls_back_and_exits_1(lab: Lab) -> None:
    path = lab.experiment(
        [lab.inject("a"), action("explode", "explode", message="disk on fire")], [lab.remove("a")]
    )
    result = _run(lab, path)
    assert result.outcome.ending is Ending.FAILED
    assert "explode" in result.outcome.reason and "disk on fire" in result.outcome.reason
    assert lab.lines() == ["inject a", "remove a"]


def test_steady_state_not_met_before_exits_1_without_touching_the_system(lab: Lab) -> None:
    lab.value.write_text("sick", encoding="utf-8")
    path = lab.experiment([lab.inject("a")], [lab.remove("a")])
    result = _run(lab, path)
    assert result.outcome.ending is Ending.FAILED
    assert "before the method" in result.outcome.reason
    assert "inject a" not in lab.lines()


def test_probe_that_cannot_run_before_the_method_is_could_not_run(lab: Lab) -> None:
    lab.value.unlink()  # the probe raises: no evidence is not a failure of the system
    path = lab.experiment([lab.inject("a")], [lab.remove("a")])
    result = _run(lab, path)
    assert result.outcome.ending is Ending.INVALID
    assert result.outcome.exit_code is ExitCode.COULD_NOT_JUDGE
    assert "could not run before the method" in result.outcome.reason


def test_faults_left_by_a_dead_run_are_reset_before_the_next_one(lab: Lab) -> None:
    # A first run injects without any rollback and "dies": its fault stays in the ledger.
    path = lab.experiment([lab.inject("left")], [])
    ledger = FaultLedger.in_state_dir(lab.state)
    _run(lab, path)  # the end-of-run reset undoes it; simulate a SIGKILL by re-recording it
    ledger.record(
        kind="file",
        target="left",
        spec={},
        undo=Undo(
            "tests.chaos.providers", "remove", {"name": "left", "record_file": str(lab.record)}
        ),
    )
    lab.record.unlink()
    _run(lab, lab.experiment([], []))
    assert lab.lines() == ["remove left"]
    assert ledger.outstanding() == []


def test_invalid_experiment_is_bad_input_in_one_line(lab: Lab) -> None:
    path = lab.root / "broken.yaml"
    path.write_text("title: no description\nmethod: []\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        _run(lab, path)
    assert info.value.exit_code is ExitCode.BAD_INPUT
    assert "\n" not in str(info.value) and str(path) in str(info.value)
    assert "description" in str(info.value)


def test_unparsable_experiment_names_the_line(lab: Lab) -> None:
    path = lab.root / "broken.yaml"
    path.write_text("title: x\ndescription: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        _run(lab, path)
    assert "line" in str(info.value) and "\n" not in str(info.value)


def test_variables_override_the_experiment_configuration(lab: Lab) -> None:
    other = lab.root / "other-value"
    other.write_text("ok", encoding="utf-8")
    lab.value.write_text("sick", encoding="utf-8")  # the file the experiment names by default
    path = lab.experiment([], [], configuration={"value_file": str(lab.value)})
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["steady-state-hypothesis"]["probes"][0]["provider"]["arguments"]["path"] = "${value_file}"
    path.write_text(json.dumps(doc), encoding="utf-8")
    request = RunRequest(
        experiment=path,
        journal=lab.journal,
        state_dir=lab.state,
        variables={"value_file": str(other)},
    )
    assert run_experiment(request).outcome.ending is Ending.HELD


def test_missing_secret_is_bad_input_before_anything_runs(lab: Lab, monkeypatch) -> None:
    monkeypatch.delenv("CHAOS_TEST_ABSENT", raising=False)
    secrets = {"app": {"token": {"type": "env", "key": "CHAOS_TEST_ABSENT"}}}
    path = lab.experiment([lab.inject("a")], [lab.remove("a")], secrets=secrets)
    with pytest.raises(ConfigError, match="CHAOS_TEST_ABSENT") as info:
        _run(lab, path)
    assert "\n" not in str(info.value)
    assert lab.lines() == []


def test_unwritable_journal_is_could_not_run_after_the_rollbacks(lab: Lab) -> None:
    from harness.errors import CouldNotRun

    blocker = lab.root / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    path = lab.experiment([lab.inject("a")], [lab.remove("a")])
    request = RunRequest(experiment=path, journal=blocker / "journal.json", state_dir=lab.state)
    with pytest.raises(CouldNotRun, match="cannot write the journal"):
        run_experiment(request)
    assert lab.lines() == ["inject a", "remove a"]


@pytest.mark.integration  # the process provider starts one
def test_process_provider_rollback_runs_after_a_failing_process_action(lab: Lab) -> None:
    def process(title: str, code: str) -> dict[str, Any]:
        return {
            "type": "action",
            "name": title,
            "provider": {"type": "process", "path": sys.executable, "arguments": ["-c", code]},
        }

    record = str(lab.record)
    write = "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + '\\n')"
    inject = process("inject-p", write)
    inject["provider"]["arguments"] = ["-c", write, record, "inject p"]
    crash = process("crash", "import sys; sys.exit(4)")
    remove = process("remove-p", write)
    remove["provider"]["arguments"] = ["-c", write, record, "remove p"]
    path = lab.experiment([inject, crash], [remove])
    result = _run(lab, path)
    assert lab.lines() == ["inject p", "remove p"]
    assert result.outcome.exit_code is ExitCode.FAILED
    # chaoslib records a non-zero exit as "succeeded"; the harness does not (docs/chaos.md)
    assert "crash" in result.outcome.reason and "status 4" in result.outcome.reason


def test_request_stop_from_another_thread_rolls_back(lab: Lab) -> None:
    """How `harness run` aborts a chaos method when an SLO breaks (docs/scenarios.md, abort)."""
    import threading

    from harness.chaos.interrupts import request_stop

    marker = lab.marker("method")
    waiting = action("wait", "wait", seconds=30, marker=str(marker))
    path = lab.experiment([lab.inject("a"), waiting], [lab.remove("a")])

    def stopper() -> None:
        eventually(marker.exists, timeout=20, interval=0.02)
        request_stop()

    thread = threading.Thread(target=stopper)
    thread.start()
    result = _run(lab, path)
    thread.join()
    assert result.outcome.exit_code is ExitCode.INTERRUPTED
    assert result.signals == ("SIGUSR1",)
    assert lab.lines() == ["inject a", "remove a"]


def test_local_target_takes_the_gateway_key_from_the_stack_and_hides_it(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_API_KEY", "placeholder")
    monkeypatch.delenv("HARNESS_API_KEY")
    key_file = lab.state / "secrets" / "kong-consumer-credentials" / "mobile-app-api-key"
    key_file.parent.mkdir(parents=True)
    key_file.write_text("k3y-generated-by-harness-up\n", encoding="utf-8")
    echo = action("echo-key", "echo", value="${apikey}")
    secrets = {"gateway": {"apikey": {"type": "env", "key": "HARNESS_API_KEY"}}}
    path = lab.experiment([echo], [], secrets=secrets)
    assert _run(lab, path).outcome.ending is Ending.HELD
    text = lab.journal.read_text(encoding="utf-8")
    assert "k3y-generated-by-harness-up" not in text and "echo:***REDACTED***" in text
