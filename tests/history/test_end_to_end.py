"""End to end on the local target: two clean smoke runs are no different; payment-service made
slow by its misbehaviour switch (MISBEHAVE_LATENCY_MS in a patched copy of the manifests) is a
regression of order latency against the last passing run, and exit 1 under gate.regression."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.process import free_port
from tests.cluster.conftest import run_cli, stop_state, up_args

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.integration, pytest.mark.slow]
SLOW_MS = 150


@contextmanager
def stack(state: Path, manifests: Path) -> Iterator[None]:
    args = up_args(
        state,
        admin=free_port(),
        gateway=free_port(),
        prometheus=free_port(),
        manifests=manifests,
        local=ROOT / "deploy" / "local",
        timeout=90,
    )
    try:
        run_cli(*args)
        yield
    finally:
        stop_state(state)


def gated_smoke(folder: Path) -> Path:
    """smoke.yaml with gate.regression on order latency, in a file of its own.

    Baseline and recovery last 30 s instead of 10 s: one sample per 2 s window is at most 5
    in 10 s, enough for an interval at 95 % (4) but not for a shift of a few per cent. The
    client p95 objective is 3 s instead of 1 s: this test is about the comparison, and on a
    2-core box shared with other test runs smoke's own client p95 reaches 1 s (argon2 logins).
    """
    doc = yaml.safe_load((ROOT / "experiments" / "smoke.yaml").read_text(encoding="utf-8"))
    ext = doc["extensions"][0]
    ext["phases"].update(baseline="30s", recovery="30s")
    for slo in ext["slos"]:
        if slo["name"] == "client-p95-latency":
            slo["objective"] = 3000
    # 50 ms: the width of the 50-100 ms bucket the quantile interpolates in; clean runs move
    # by up to a bucket (docs/history.md, "Measured")
    ext["gate"]["regression"] = {"slis": [{"slo": "order-p95-latency", "min_effect": "50ms"}]}
    path = folder / "smoke-gated.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def harness_run(scenario: Path, state: Path, out: Path) -> tuple[int, dict[str, Any], str]:
    env = {**os.environ, "HARNESS_STATE_DIR": str(state)}
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", str(scenario), "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    report = json.loads((out / "latest" / "report.json").read_text(encoding="utf-8"))
    return done.returncode, report, done.stderr


def test_clean_runs_match_and_a_slow_payment_service_is_a_regression(tmp_path: Path) -> None:
    scenario = gated_smoke(tmp_path)
    out = tmp_path / "reports"
    with stack(tmp_path / "clean", ROOT / "deploy" / "kubernetes"):
        code1, first, err1 = harness_run(scenario, tmp_path / "clean", out)
        assert code1 == 0, err1
        code2, second, err2 = harness_run(scenario, tmp_path / "clean", out)
        assert code2 == 0, err2
    compared = second["compared_with"]
    assert compared["run_id"] == first["run_id"]
    classes = {(s["slo"], s["phase"]): s["result"] for s in compared["shifts"]}
    assert classes, compared
    # no false regression where the gate looks; a clean run may still differ "significantly"
    # from one other clean run elsewhere (docs/history.md measured 6 such better shifts in 21
    # comparisons: within-run samples do not see run-to-run spread)
    gated = [s for s in compared["shifts"] if s["slo"] == "order-p95-latency"]
    assert gated and not any(s["worse"] for s in gated), gated
    assert classes[("order-p95-latency", "baseline")] == "no difference"

    slow = tmp_path / "manifests"
    shutil.copytree(ROOT / "deploy" / "kubernetes", slow)
    payment = slow / "payment-service.yaml"
    text = payment.read_text(encoding="utf-8")
    assert 'MISBEHAVE_LATENCY_MS: "0"' in text
    payment.write_text(
        text.replace('MISBEHAVE_LATENCY_MS: "0"', f'MISBEHAVE_LATENCY_MS: "{SLOW_MS}"')
    )
    with stack(tmp_path / "slow", slow):  # a new stack: the manifests are read at `up`
        code3, third, err3 = harness_run(scenario, tmp_path / "slow", out)
    assert third["compared_with"]["run_id"] == second["run_id"]  # the last passing run
    worse = [s for s in third["compared_with"]["shifts"] if s["worse"]]
    assert any(s["slo"] == "order-p95-latency" and s["result"] == "higher" for s in worse), worse
    assert code3 == 1, err3
    reason = next(r for r in third["reasons"] if r.startswith("regression against"))
    assert "order-p95-latency in " in reason and "higher, shift +" in reason
    history = run_cli("history", "smoke-gated", "--out", str(out), "--json")
    assert [r["run_id"] for r in json.loads(history.stdout)["runs"]] == [
        third["run_id"],
        second["run_id"],
        first["run_id"],
    ]
