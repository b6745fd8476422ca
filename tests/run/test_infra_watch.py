"""The run watches its own infrastructure: a harness part that breaks is "could not judge".

One real stack (real manifests, mesh, Prometheus) serves the module; Prometheus is started
through a wrapper on PATH that refuses to start while a `broken` file sits beside it, so a
test can keep Prometheus down. The controller test brings up a stack of its own (it kills it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from harness.cluster.local.client import AdminClient
from harness.process import free_port
from tests.cluster.conftest import Stack, run_cli, stop_stack, stop_state, up_args
from tests.run.test_run import ROOT, Run, report_of, scenario
from tests.waiting import eventually

pytestmark = [pytest.mark.integration]

WRAPPER = """#!/bin/sh
if [ -e "{folder}/broken" ]; then echo "prometheus wrapper: broken on purpose" >&2; exit 1; fi
exec {real} "$@"
"""


@pytest.fixture(scope="module")
def wrapped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose `prometheus` runs the real one unless `broken` exists beside it."""
    real = shutil.which("prometheus")
    assert real is not None, "the tests need the prometheus package"
    folder = tmp_path_factory.mktemp("bin")
    script = folder / "prometheus"
    script.write_text(WRAPPER.format(folder=folder, real=real))
    script.chmod(0o755)
    return folder


def _up(state: Path, path_first: Path | None = None) -> Stack:
    admin, gateway, prom = free_port(), free_port(), free_port()
    args = up_args(
        state,
        admin=admin,
        gateway=gateway,
        prometheus=prom,
        manifests=ROOT / "deploy" / "kubernetes",
        local=ROOT / "deploy" / "local",
        timeout=90,
    )
    env = None
    if path_first is not None:
        env = {**os.environ, "PATH": f"{path_first}:{os.environ.get('PATH', '')}"}
    try:
        out = run_cli(*args, env=env)
    except BaseException:
        stop_state(state)
        raise
    return Stack(state, admin, gateway, prom, json.loads(out.stdout))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, wrapped: Path) -> Iterator[Stack]:
    s = _up(tmp_path_factory.mktemp("infra") / "state", wrapped)
    try:
        yield s
    finally:
        stop_stack(s)


def parts(stack: Stack) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = stack.status()["parts"]
    return out


def all_ready(stack: Stack) -> bool:
    return all(p["ready"] for p in parts(stack).values())


def test_prometheus_killed_is_restarted_and_status_shows_it(stack: Stack) -> None:
    before = parts(stack)["prometheus"]
    assert before["ready"] and before["restarts"] == 0
    os.kill(int(str(before["pid"])), signal.SIGKILL)
    eventually(lambda: parts(stack)["prometheus"]["restarts"] == 1, timeout=10)
    eventually(lambda: parts(stack)["prometheus"]["ready"] is True, timeout=30)
    after = parts(stack)["prometheus"]
    assert after["pid"] not in (None, before["pid"])
    table = run_cli("status", "--state-dir", str(stack.state)).stdout
    row = next(line for line in table.splitlines() if line.startswith("prometheus "))
    assert row.split()[1:3] == ["ready", "1"], table
    for part in ("controller", "mesh", "gateway", "fork-server"):
        assert any(line.startswith(part + " ") for line in table.splitlines()), table


def test_a_part_down_before_the_run_is_a_clear_error_before_any_load(
    stack: Stack, wrapped: Path, tmp_path: Path
) -> None:
    (wrapped / "broken").touch()
    try:
        pid = parts(stack)["prometheus"]["pid"]
        os.kill(int(str(pid)), signal.SIGKILL)
        eventually(lambda: parts(stack)["prometheus"]["pid"] is None, timeout=10)
        out = tmp_path / "reports"
        started = time.monotonic()
        run = Run([str(scenario(tmp_path, "blind-start")), "--out", str(out)], stack.state)
        rc = run.finish(timeout=60)
        took = time.monotonic() - started
    finally:
        (wrapped / "broken").unlink()
    assert rc == 3, run.output
    assert "prometheus (not running" in run.output and "nothing was started" in run.output
    assert "Traceback" not in run.output
    assert not any(line.startswith("warmup:") for line in run.lines), "load started"
    assert not out.exists(), "no report: nothing ran"
    assert took < 40, f"the check took {took:.1f}s"
    eventually(lambda: all_ready(stack), timeout=40)  # back-off: up to 10 s between tries


def test_mesh_killed_in_the_fault_window_is_could_not_judge(stack: Stack, tmp_path: Path) -> None:
    eventually(lambda: all_ready(stack), timeout=40)
    out = tmp_path / "reports"
    path = scenario(tmp_path, "mesh-kill", fault_pause=6)
    run = Run([str(path), "--out", str(out), "-v"], stack.state)
    run.wait_for("fault:")
    time.sleep(2)  # the behaviour under test: well inside the fault window
    os.kill(int(str(parts(stack)["mesh"]["pid"])), signal.SIGKILL)
    rc = run.finish()
    assert rc == 3, run.output
    report = report_of(out)
    assert report["verdict"] == "inconclusive"
    first = report["reasons"][0]
    assert first.startswith("mesh exited with the gateway it serves") and "UTC" in first, first
    assert "inside the fault window" in first
    assert [e["part"] for e in report["infra"]] == ["mesh"]
    assert parts(stack)["mesh"]["restarts"] == 1  # the controller brought it back
    # pre-flight: every query printed with -v before the load, and kept in the report
    sent = [(q["owner"], q["field"]) for q in report["preflight"]]
    assert ("SLO gateway-availability", "sli.total") in sent
    assert any(x.startswith("query SLO gateway-availability sli.total: ") for x in run.lines)
    first_query = next(i for i, x in enumerate(run.lines) if x.startswith("query "))
    assert first_query < next(i for i, x in enumerate(run.lines) if x.startswith("warmup:"))


@pytest.mark.parametrize(
    ("load", "says"),
    [
        ({"host": "ftp://127.0.0.1:21"}, "load.host: 'ftp://127.0.0.1:21' is not an http(s) URL"),
        ({"host": "http://example.com"}, "load.host: example.com is not a loopback address"),
    ],
)
def test_a_load_host_outside_the_allow_list_is_bad_input(
    stack: Stack, tmp_path: Path, load: dict[str, str], says: str
) -> None:
    smoke = yaml.safe_load((ROOT / "experiments" / "smoke.yaml").read_text(encoding="utf-8"))
    spec = next(e for e in smoke["extensions"] if e["name"] == "harness")["load"]
    doc = scenario(tmp_path, "elsewhere", load={**spec, **load})
    run = Run([str(doc), "--out", str(tmp_path / "reports")], stack.state)
    assert run.finish(timeout=60) == 2, run.output
    [line] = run.lines
    assert line.startswith(f"harness: {doc}: load.host: ") and says in line, line


def test_a_query_prometheus_rejects_is_exit_2_before_any_load(stack: Stack, tmp_path: Path) -> None:
    typo = {
        "name": "typo",
        "sli": {"type": "threshold", "query": "sum(rate(kong_http_requests_total[{{window}}])"},
        "objective": 1,
        "phases": ["baseline"],
    }
    out = tmp_path / "reports"
    run = Run([str(scenario(tmp_path, "typo", slos=[typo])), "--out", str(out)], stack.state)
    assert run.finish(timeout=60) == 2, run.output
    error = next(x for x in run.lines if x.startswith("harness: "))
    assert ": slos[0] (typo).sli.query: Prometheus rejects the query: " in error, error
    assert "sent: sum(rate(kong_http_requests_total[5s])" in error
    assert not any(x.startswith("warmup:") for x in run.lines) and not out.exists()


def test_the_scenario_may_inject_a_mesh_kill_on_purpose(stack: Stack, tmp_path: Path) -> None:
    """`gate.injected_parts: [mesh]`: a mesh restart inside the fault window is the fault."""
    eventually(lambda: all_ready(stack), timeout=40)
    out = tmp_path / "reports"
    path = scenario(tmp_path, "mesh-kill-ok", fault_pause=6, gate={"injected_parts": ["mesh"]})
    run = Run([str(path), "--out", str(out)], stack.state)
    run.wait_for("fault:")
    time.sleep(2)  # the behaviour under test: well inside the fault window
    os.kill(int(str(parts(stack)["mesh"]["pid"])), signal.SIGKILL)
    run.finish()
    report = report_of(out)
    assert [e["part"] for e in report["infra"]] == ["mesh"]  # recorded, yet not held against it
    assert not any(r.startswith("mesh ") for r in report["reasons"]), report["reasons"]


@pytest.mark.parametrize("phase", ["baseline", "fault"])
def test_controller_killed_mid_run_exits_3_within_seconds(tmp_path: Path, phase: str) -> None:
    own = _up(tmp_path / "state")
    try:
        with AdminClient.from_state(own.state) as client:
            pid = int(client.status()["pid"])
        out = tmp_path / "reports"
        phases = {"warmup": "6s", "baseline": "60s" if phase == "baseline" else "5s"}
        path = scenario(tmp_path, "headless", fault_pause=60, phases={**phases, "recovery": "5s"})
        run = Run([str(path), "--out", str(out)], own.state)
        run.wait_for(f"{phase}:")
        time.sleep(1)  # the behaviour under test: inside the window
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        rc = run.finish(timeout=60)
        took = time.monotonic() - killed
    finally:
        stop_stack(own)
    assert rc == 3, run.output
    print(f"exit {took:.1f}s after the controller died")
    print(run.output)
    assert took < 8, f"exit {took:.1f}s after the controller died"
    report = report_of(out)
    assert report["verdict"] == "inconclusive"
    assert report["reasons"][0].startswith(f"controller died (pid {pid}) at "), report["reasons"]
    if phase == "baseline":
        assert [p["phase"] for p in report["phases"]] == ["warmup", "baseline"]
        assert report["chaos"] is None  # the fault never started
    else:
        assert [p["phase"] for p in report["phases"]] == ["warmup", "baseline", "fault"]
        assert report["chaos"]["rollbacks"], "the rollbacks still ran"
