"""Pod-kill experiments on a real local cluster (the cluster tests' fixture system)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.process import spawn, stop
from tests.chaos.conftest import Lab
from tests.cluster.conftest import Stack, start_stack, stop_stack

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = start_stack(tmp_path_factory.mktemp("chaos-cluster") / "state", prometheus=False)
    try:
        yield s
    finally:
        stop_stack(s)


def _k8s(kind: str, module: str, func: str, **arguments: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "name": func,
        "provider": {"type": "python", "module": module, "func": func, "arguments": arguments},
    }


def _experiment(lab: Lab, method: list[dict[str, Any]]) -> Path:
    healthy = _k8s(
        "probe",
        "chaosk8s.deployment.probes",
        "deployment_available_and_healthy",
        name="echo",
        ns="default",
    )
    healthy["tolerance"] = True
    path = lab.experiment(method, [])
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["steady-state-hypothesis"]["probes"] = [healthy]
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _run(lab: Lab, stack: Stack, path: Path) -> int:
    log = lab.root / "harness.log"
    proc = spawn(
        [
            sys.executable,
            "-m",
            "harness",
            "chaos",
            "run",
            str(path),
            "--journal",
            str(lab.journal),
            "--state-dir",
            str(stack.state),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        log_path=log,
    )
    try:
        return proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail(log.read_text(encoding="utf-8"))
    finally:
        stop(proc)


def test_killing_one_of_several_pods_is_read_back_and_recovers(lab: Lab, stack: Stack) -> None:
    with stack.client() as client:
        before = {p.name: p.created_at for p in client.pods(service="echo")}
    kill = _k8s(
        "action",
        "chaosk8s.pod.actions",
        "terminate_pods",
        label_selector="app=echo",
        qty=1,
        rand=True,
        ns="default",
    )
    kill["pauses"] = {"after": 3}
    running = _k8s(
        "probe",
        "chaosk8s.pod.probes",
        "pods_in_phase",
        label_selector="app=echo",
        phase="Running",
        ns="default",
    )
    path = _experiment(lab, [kill, running])
    rc = _run(lab, stack, path)
    journal = lab.journal_data()
    assert rc == 0, journal["harness"]["reason"]
    killed = journal["run"][0]["output"]
    assert len(killed) == 1 and killed[0] in before
    with stack.client() as client:
        after = {p.name: p.created_at for p in client.pods(service="echo")}
    assert len(after) == len(before)
    assert after.get(killed[0]) != before[killed[0]]  # replaced, not the same process


def test_killing_every_pod_forcefully_comes_back(lab: Lab, stack: Stack) -> None:
    kill = _k8s(
        "action",
        "chaosk8s.pod.actions",
        "terminate_pods",
        label_selector="app=echo",
        all=True,
        grace_period=0,
        ns="default",
    )
    kill["pauses"] = {"after": 5}
    path = _experiment(lab, [kill])
    rc = _run(lab, stack, path)
    journal = lab.journal_data()
    assert rc == 0, journal["harness"]["reason"]
    assert len(journal["run"][0]["output"]) == 2
    assert journal["steady_states"]["after"]["steady_state_met"] is True
