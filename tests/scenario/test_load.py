"""Scenarios: found by path or name, validated on load, one line per mistake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.errors import BadInput, ConfigError, ExitCode
from harness.scenario import Phase, ScenarioInvalid, load_scenario, parse_duration
from harness.scenario.model import Direction
from tests.report.synthetic import experiment, write_scenario

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_ships_and_loads_by_name() -> None:
    scenario = load_scenario("smoke", experiments_dir=ROOT / "experiments")
    ext = scenario.harness
    assert scenario.name == "smoke"
    assert ext.phases.fault == "until-method-ends"
    assert ext.phases.fixed(Phase.BASELINE) == 10.0
    assert {s.name for s in ext.slos} >= {"gateway-availability", "client-p95-latency"}
    assert ext.analyses[0].args == {"service-name": "user-service", "rate-window": "10s"}
    assert scenario.experiment["method"][0]["provider"]["func"] == "add_abort_fault"


def test_name_or_path(tmp_path: Path) -> None:
    path = write_scenario(tmp_path / "experiments", "mine")
    assert load_scenario(str(path)).path == path
    assert load_scenario("mine", experiments_dir=tmp_path / "experiments").path == path


def test_unknown_name_lists_known_ones(tmp_path: Path) -> None:
    write_scenario(tmp_path, "alpha")
    with pytest.raises(BadInput, match=r"'nope'.*known: alpha") as info:
        load_scenario("nope", experiments_dir=tmp_path)
    assert info.value.exit_code is ExitCode.BAD_INPUT


def test_json_scenarios_load(tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    path.write_text(json.dumps(experiment()), encoding="utf-8")
    assert load_scenario(path).harness.slos[0].wants is Direction.AT_LEAST


def broken(tmp_path: Path, mutate: Any) -> list[str]:
    doc = experiment()
    mutate(doc, doc["extensions"][0])
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert info.value.exit_code is ExitCode.BAD_INPUT
    lines = str(info.value).splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines)
    return lines


def _set(path: str, value: Any) -> Any:
    def mutate(doc: dict[str, Any], ext: dict[str, Any]) -> None:
        target: Any = ext
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        if value is DELETE:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return mutate


DELETE = object()
MISTAKES = [
    (
        "unknown field",
        _set("slos.0.objectve", 1),
        "extensions[harness].slos[0].objectve: unknown field (remove it or fix the spelling; "
        "allowed: name, description, service, sli, objective",
    ),
    (
        "missing field",
        _set("phases.baseline", DELETE),
        "extensions[harness].phases.baseline: missing (add this field)",
    ),
    (
        "bad duration",
        _set("phases.recovery", "soon"),
        "extensions[harness].phases.recovery: 'soon' is not a duration",
    ),
    ("bad fault duration", _set("phases.fault", "forever"), "or write until-method-ends"),
    (
        "ratio objective out of range",
        _set("slos.0.objective", 99),
        "extensions[harness].slos[0]: a ratio objective lies between 0 and 1",
    ),
    (
        "unknown SLI type",
        _set("slos.1.sli.type", "latency"),
        "extensions[harness].slos[1].sli: Input tag 'latency'",
    ),
    (
        "unknown field inside an SLI",
        _set("slos.1.sli.extra", 1),
        "extensions[harness].slos[1].sli.extra: unknown field (remove it or fix the spelling; "
        "allowed: type, query)",
    ),
    (
        "query without window",
        _set("slos.0.sli.total", "sum(x)"),
        "every query must range over {{window}}",
    ),
    (
        "warm-up judged",
        _set("slos.1.phases", ["warmup"]),
        "extensions[harness].slos[1].phases: warm-up is never judged",
    ),
    (
        "load without users or shape",
        _set("load.users", DELETE),
        "extensions[harness].load: give either shape, or users and spawn_rate",
    ),
    (
        "window too short for rate()",
        _set("phases.baseline", "3s"),
        "extensions[harness].phases.baseline: 3s is shorter than 4 scrape intervals "
        "(4 x 1s), too short for rate() (make it at least 4s or scrape more often)",
    ),
    (
        "duplicate SLO",
        _set("slos.1.name", "order-availability"),
        "extensions[harness].slos[1].name: duplicate name 'order-availability'",
    ),
    (
        "objective not a number",
        _set("slos.1.objective", "fast"),
        "extensions[harness].slos[1].objective: Input should be a valid number",
    ),
    ("no SLOs", _set("slos", []), "extensions[harness].slos: empty"),
    (
        "load env name",
        _set("load.env", {"THINK SCALE": "0.3"}),
        "extensions[harness].load.env.THINK SCALE.[key]: not a valid name (an environment "
        "variable name",
    ),
    (
        "SLO name with a space",
        _set("slos.1.name", "order p95"),
        "extensions[harness].slos[1].name: not a valid name (use letters, digits, '-', '_', '.', "
        "starting with a letter or digit)",
    ),
    (
        "load env value not a string",
        _set("load.env", {"LOAD_THINK_SCALE": 0.3}),
        "extensions[harness].load.env.LOAD_THINK_SCALE: Input should be a valid string",
    ),
    (
        "gate verdict unknown",
        _set("gate", {"fail_on": {"slo": ["maybe"]}}),
        "extensions[harness].gate.fail_on.slo[0]: Input should be 'failed' or 'inconclusive'",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"), [c[1:] for c in MISTAKES], ids=[c[0] for c in MISTAKES]
)
def test_each_mistake_is_one_line_naming_file_and_field(tmp_path, mutate, expected) -> None:
    lines = broken(tmp_path, mutate)
    assert len(lines) == 1, lines
    assert expected in lines[0]


def test_several_mistakes_give_one_line_each(tmp_path: Path) -> None:
    def mutate(doc: dict[str, Any], ext: dict[str, Any]) -> None:
        ext["phases"]["recovery"] = "soon"
        ext["slos"][0]["colour"] = "red"
        ext["bogus"] = True
        del doc["method"]

    lines = broken(tmp_path, mutate)
    assert len(lines) == 4
    assert any(": method: missing or empty" in line for line in lines)
    assert any("extensions[harness].bogus: unknown field" in line for line in lines)


def test_experiment_without_harness_extension(tmp_path: Path) -> None:
    doc = experiment()
    doc["extensions"] = [{"name": "other"}]
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"x.yaml: extensions: no entry named harness"):
        load_scenario(path)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("title: a\nmethod: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"x.yaml: line \d+: not valid YAML"):
        load_scenario(path)


def test_files_are_checked_against_the_project_root(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, analyses=[{"template": "deploy/a.yaml"}])
    with pytest.raises(ScenarioInvalid) as info:
        load_scenario(path, root=tmp_path)
    assert [line.split(": ")[1] for line in info.value.lines] == [
        "extensions[harness].load.locustfile",
        "extensions[harness].analyses[0].template",
    ]
    (tmp_path / "loadtests").mkdir()
    (tmp_path / "loadtests" / "locustfile.py").write_text("", encoding="utf-8")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "a.yaml").write_text("", encoding="utf-8")
    assert load_scenario(path, root=tmp_path).harness.analyses[0].mode == "replay"


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("1m30s", 90), ("250ms", 0.25), ("2h", 7200), (5, 5)]
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_scenario_round_trips_through_json() -> None:
    ext = load_scenario("smoke", experiments_dir=ROOT / "experiments").harness
    again = type(ext).model_validate_json(ext.model_dump_json())
    assert again == ext
    assert json.loads(ext.model_dump_json())["phases"]["baseline"] == "10s"
