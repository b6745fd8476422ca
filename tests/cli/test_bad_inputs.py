"""Every bad input a careful user tried (issue 13), through the real CLI in a fresh interpreter.

Each case must exit 2 with exactly one line on stderr, naming the file (or option) and the
field, and no traceback. Scenario contents are checked with `harness run --target kubernetes
--kubeconfig <missing>`: the scenario is read before the target, so a loader that wrongly
accepts a scenario stops at the kubeconfig instead of starting a stack, and the needles (the
scenario's file and field) tell the two apart.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.integration  # every case runs the CLI in a child interpreter

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "experiments" / "smoke.yaml"
TEMPLATE = ROOT / "deploy" / "kubernetes" / "analysistemplate-success-rate.yaml"
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00\x01"
LATIN1 = "title: caf\u00e9\n".encode("latin-1")

Build = Callable[[Path], tuple[list[str], tuple[str, ...]]]


@dataclass(frozen=True)
class Case:
    id: str
    build: Build  # tmp folder -> (argv after `harness`, substrings the one line must hold)


def _write(tmp: Path, name: str, content: bytes | str) -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _loop(tmp: Path, name: str) -> Path:
    path = tmp / name
    other = tmp / f"{name}.other"
    path.symlink_to(other)
    other.symlink_to(path)
    return path


def _smoke() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SMOKE.read_text(encoding="utf-8"))
    return data


def _ext(data: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in data["extensions"] if e.get("name") == "harness")
    return found


def _scenario(edit: Callable[[dict[str, Any]], None], *needles: str) -> Build:
    """A copy of experiments/smoke.yaml with one edit to its harness extension."""

    def build(tmp: Path) -> tuple[list[str], tuple[str, ...]]:
        data = copy.deepcopy(_smoke())
        edit(_ext(data))
        path = _write(tmp, "scenario.yaml", yaml.safe_dump(data, sort_keys=False))
        argv = ["run", str(path), "--target", "kubernetes", "--kubeconfig", str(tmp / "nokube")]
        return argv, (str(path), *needles)

    return build


def _set(dotted: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(ext: dict[str, Any]) -> None:
        *parents, last = dotted.split(".")
        node: Any = ext
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = value

    return edit


def _file(command: list[str], content: bytes | str, name: str, *needles: str) -> Build:
    """`harness <command> FILE` with FILE holding `content`."""

    def build(tmp: Path) -> tuple[list[str], tuple[str, ...]]:
        path = _write(tmp, name, content)
        return [*command, str(path), *_after(command, tmp)], (str(path), *needles)

    return build


def _path(command: list[str], make: Callable[[Path], Path], *needles: str) -> Build:
    """`harness <command> PATH` with PATH made by `make` (a folder, a loop, /dev/null)."""

    def build(tmp: Path) -> tuple[list[str], tuple[str, ...]]:
        path = make(tmp)
        return [*command, str(path), *_after(command, tmp)], (str(path), *needles)

    return build


def _after(command: list[str], tmp: Path) -> list[str]:
    if command == ["run"]:  # never start a stack, whatever the loader makes of the file
        return ["--target", "kubernetes", "--kubeconfig", str(tmp / "nokube")]
    if command == ["chaos", "run"]:
        return ["--journal", str(tmp / "journal.json"), "--state-dir", str(tmp / "state")]
    if command == ["analyze"]:
        return ["--arg", "service-name=x", "--start", "0", "--end", "60"]
    return []


def _argv(argv: list[str], *needles: str) -> Build:
    def build(tmp: Path) -> tuple[list[str], tuple[str, ...]]:
        return argv, needles

    return build


def _analyze_times(start: str, end: str, needle: str) -> Build:
    argv = ["analyze", str(TEMPLATE), "--arg", "service-name=x", "--start", start, "--end", end]
    return _argv(argv, needle)


def _gate_scenario(content: bytes | str, *needles: str) -> Build:
    def build(tmp: Path) -> tuple[list[str], tuple[str, ...]]:
        from harness.report import write_report
        from tests.report.synthetic import synthetic_report

        _, files = write_report(synthetic_report(tmp), tmp / "reports")
        scenario = _write(tmp, "scenario.yaml", content)
        return ["gate", str(files.json), "--scenario", str(scenario)], (str(scenario), *needles)

    return build


def _dir(tmp: Path) -> Path:
    path = tmp / "folder.yaml"
    path.mkdir()
    return path


def _empty_dir(tmp: Path) -> Path:
    path = tmp / "empty"
    path.mkdir()
    return path


def _no_yaml_dir(tmp: Path) -> Path:
    path = tmp / "notes"
    path.mkdir()
    (path / "README.txt").write_text("no manifests here\n", encoding="utf-8")
    return path


def _binary_in_dir(tmp: Path) -> Path:
    path = tmp / "manifests"
    _write(path, "bad.yaml", BINARY)
    return path


def _report_dir_without_json(tmp: Path) -> Path:
    path = tmp / "run-1"
    path.mkdir()
    return path


def _devnull(tmp: Path) -> Path:
    return Path(os.devnull)


def _big(tmp: Path) -> Path:
    # just over the manifest size limit (harness.manifests.MAX_FILE_BYTES, 16 MiB)
    path = tmp / "big.yaml"
    line = b"# padding padding padding padding padding padding padding padding padding\n"
    with path.open("wb") as out:
        out.write(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\n")
        for _ in range(17 * 1024 * 1024 // len(line) + 1):
            out.write(line)
    return path


def _nested(depth: int) -> str:
    return "title: deep\nmethod: " + "[" * depth + "]" * depth + "\n"


CASES = [
    # -- harness run: the scenario file itself
    Case("run-binary", _file(["run"], BINARY, "s.yaml", "UTF-8")),
    Case("run-latin1", _file(["run"], LATIN1, "s.yaml", "UTF-8")),
    Case("run-empty", _file(["run"], "", "s.yaml", "empty")),
    Case("run-list", _file(["run"], "- a\n- b\n", "s.yaml", "mapping")),
    Case("run-yaml-syntax", _file(["run"], "title: [unclosed\n", "s.yaml", "line")),
    Case("run-json-syntax", _file(["run"], '{"title": ', "s.json", "line")),
    Case("run-deep-nesting", _file(["run"], _nested(5000), "s.yaml", "nest")),
    Case("run-directory", _path(["run"], _dir, "folder")),
    Case("run-dev-null", _path(["run"], _devnull, "not a regular file")),
    Case("run-missing", _path(["run"], lambda t: t / "missing.yaml", "no such")),
    Case("run-symlink-loop", _path(["run"], lambda t: _loop(t, "loop.yaml"), "symbolic links")),
    # -- harness run: the harness extension
    Case("users-true", _scenario(_set("load.users", True), "load.users")),
    Case("users-1e12", _scenario(_set("load.users", 1e12), "load.users")),
    Case("users-huge-int", _scenario(_set("load.users", 10**12), "load.users")),
    Case("users-string", _scenario(_set("load.users", "20"), "load.users")),
    Case("users-float", _scenario(_set("load.users", 2.5), "load.users")),
    Case("users-zero", _scenario(_set("load.users", 0), "load.users")),
    Case("spawn-rate-inf", _scenario(_set("load.spawn_rate", float("inf")), "load.spawn_rate")),
    Case("spawn-rate-nan", _scenario(_set("load.spawn_rate", float("nan")), "load.spawn_rate")),
    Case("spawn-rate-bool", _scenario(_set("load.spawn_rate", True), "load.spawn_rate")),
    Case("load-unknown-field", _scenario(_set("load.userz", 3), "load.userz")),
    Case("ext-unknown-field", _scenario(_set("extra", 1), "extra")),
    Case("baseline-bad", _scenario(_set("phases.baseline", "ten seconds"), "phases.baseline")),
    Case("baseline-huge", _scenario(_set("phases.baseline", 1e300), "phases.baseline")),
    Case("baseline-huge-str", _scenario(_set("phases.baseline", "99999999h"), "phases.baseline")),
    Case("baseline-negative", _scenario(_set("phases.baseline", "-5s"), "phases.baseline")),
    Case("baseline-bool", _scenario(_set("phases.baseline", True), "phases.baseline")),
    Case("fault-bad", _scenario(_set("phases.fault", "forever"), "phases.fault")),
    Case("scrape-zero", _scenario(_set("prometheus.scrape_interval", 0), "scrape_interval")),
    Case("slos-string", _scenario(_set("slos", "all of them"), "slos")),
    Case("slos-empty", _scenario(_set("slos", []), "slos")),
    Case("objective-nan", _scenario(_set("slos.0.objective", float("nan")), "objective")),
    Case("objective-string", _scenario(_set("slos.0.objective", "high"), "objective")),
    Case("sli-type", _scenario(_set("slos.0.sli", {"type": "magic"}), "sli")),
    Case("phases-warmup", _scenario(_set("slos.0.phases", ["warmup"]), "phases")),
    Case("locustfile-missing", _scenario(_set("load.locustfile", "nope.py"), "locustfile")),
    Case("template-missing", _scenario(_set("analyses.0.template", "x.yaml"), "template")),
    Case("interval-scale-inf", _scenario(_set("analyses.0.interval_scale", 1e309), "interval")),
    Case("abort-delay-bad", _scenario(_set("gate.abort_delay", "soon"), "gate.abort_delay")),
    # -- harness chaos run
    Case("chaos-binary", _file(["chaos", "run"], BINARY, "e.yaml", "UTF-8")),
    Case("chaos-latin1", _file(["chaos", "run"], LATIN1, "e.yaml", "UTF-8")),
    Case("chaos-empty", _file(["chaos", "run"], "", "e.yaml", "empty")),
    Case("chaos-list", _file(["chaos", "run"], "- 1\n", "e.yaml", "mapping")),
    Case("chaos-deep-nesting", _file(["chaos", "run"], _nested(5000), "e.yaml", "nest")),
    Case("chaos-directory", _path(["chaos", "run"], _dir, "folder")),
    Case("chaos-dev-null", _path(["chaos", "run"], _devnull, "not a regular file")),
    Case("chaos-missing", _path(["chaos", "run"], lambda t: t / "m.yaml", "no such")),
    Case("chaos-symlink-loop", _path(["chaos", "run"], lambda t: _loop(t, "l.yaml"), "symbolic")),
    # -- harness analyze
    Case("analyze-binary", _file(["analyze"], BINARY, "t.yaml", "UTF-8")),
    Case("analyze-latin1", _file(["analyze"], LATIN1, "t.yaml", "UTF-8")),
    Case("analyze-empty", _file(["analyze"], "", "t.yaml", "kind")),
    Case("analyze-directory", _path(["analyze"], _dir, "folder")),
    Case("analyze-dev-null", _path(["analyze"], _devnull, "not a regular file")),
    Case("analyze-missing", _path(["analyze"], lambda t: t / "m.yaml", "no such")),
    Case("analyze-symlink-loop", _path(["analyze"], lambda t: _loop(t, "l.yaml"), "symbolic")),
    Case("analyze-start-nan", _analyze_times("nan", "nan", "--start")),
    Case("analyze-start-inf", _analyze_times("inf", "inf", "--start")),
    Case("analyze-start-1e300", _analyze_times("1e300", "1e300", "--start")),
    Case("analyze-end-1e300", _analyze_times("0", "1e300", "--end")),
    Case("analyze-start-negative", _analyze_times("-1e300", "0", "--start")),
    Case(
        "analyze-scale-nan", _argv(["analyze", str(TEMPLATE), "--interval-scale", "nan"], "scale")
    ),
    Case(
        "analyze-scale-inf", _argv(["analyze", str(TEMPLATE), "--interval-scale", "inf"], "scale")
    ),
    Case("analyze-arg-bad", _argv(["analyze", str(TEMPLATE), "--arg", "novalue"], "--arg")),
    # -- harness validate
    Case("validate-binary", _file(["validate"], BINARY, "m.yaml", "UTF-8")),
    Case("validate-latin1", _file(["validate"], LATIN1, "m.yaml", "UTF-8")),
    Case("validate-empty-file", _file(["validate"], "", "m.yaml", "nothing checked")),
    Case("validate-comments-only", _file(["validate"], "# x\n---\n", "m.yaml", "nothing checked")),
    Case("validate-empty-folder", _path(["validate"], _empty_dir, "nothing checked")),
    Case("validate-no-yaml-folder", _path(["validate"], _no_yaml_dir, "nothing checked")),
    Case("validate-binary-in-folder", _path(["validate"], _binary_in_dir, "UTF-8")),
    Case("validate-dev-null", _path(["validate"], _devnull, "not a regular file")),
    Case("validate-missing", _path(["validate"], lambda t: t / "m.yaml", "no such")),
    Case("validate-symlink-loop", _path(["validate"], lambda t: _loop(t, "l.yaml"), "symbolic")),
    Case("validate-too-big", _path(["validate"], _big, "MiB")),
    Case("validate-deep-nesting", _file(["validate"], _nested(5000), "m.yaml", "nest")),
    # -- harness gate / report
    Case("gate-binary", _file(["gate"], BINARY, "report.json", "UTF-8")),
    Case("gate-latin1", _file(["gate"], LATIN1, "report.json", "UTF-8")),
    Case("gate-empty", _file(["gate"], "", "report.json", "JSON")),
    Case("gate-deep-nesting", _file(["gate"], "[" * 100000, "report.json", "nest")),
    Case("gate-dev-null", _path(["gate"], _devnull, "not a regular file")),
    Case("gate-folder-without-report", _path(["gate"], _report_dir_without_json, "report.json")),
    Case("gate-missing", _path(["gate"], lambda t: t / "report.json", "no such")),
    Case("gate-symlink-loop", _path(["gate"], lambda t: _loop(t, "r.json"), "symbolic")),
    Case("gate-scenario-binary", _gate_scenario(BINARY, "UTF-8")),
    Case("report-binary", _file(["report"], BINARY, "report.json", "UTF-8")),
    Case("report-latin1", _file(["report"], LATIN1, "report.json", "UTF-8")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_exit_2(case: Case, tmp_path: Path) -> None:
    argv, needles = case.build(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env["HARNESS_STATE_DIR"] = str(tmp_path / "state")
    out = subprocess.run(
        [sys.executable, "-m", "harness", *argv],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False,
    )  # fmt: skip
    said = out.stderr.strip()
    shown = f"exit {out.returncode}\nstdout: {out.stdout[-2000:]}\nstderr: {out.stderr[-2000:]}"
    assert "Traceback" not in out.stdout + out.stderr, shown
    assert out.returncode == 2, shown
    assert len(said.splitlines()) == 1, shown
    for needle in needles:
        assert needle.lower() in said.lower(), f"{needle!r} not in the message\n{shown}"
