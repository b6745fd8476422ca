"""`load-spike-autoscale` end to end: the shipped scenario on the real local stack.

The stack runs the autoscaler on a fast clock (`--hpa-interval 1s --hpa-time-scale 30`, as the
scenario's header asks), so the seed's minute-long windows pass within the run. What a user
sees: exit 0, user-service grew from 3 to at least 5 pods under the spike and was back at 3
before the run ended, both expectations met with their reasons, and the report charts the
replicas next to the load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.process import free_port
from tests.cluster.conftest import ROOT, Stack, run_cli, stop_state, up_args

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    state = tmp_path_factory.mktemp("autoscale-run") / "state"
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
    try:
        out = run_cli(*args, "--hpa-interval", "1s", "--hpa-time-scale", "30")
        yield Stack(state, admin, gateway, prom, json.loads(out.stdout))
    finally:
        stop_state(state)


def test_load_spike_scales_user_service_out_and_back_in(stack: Stack, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "run", "load-spike-autoscale", "--out", str(out)],
        cwd=ROOT,
        env={**os.environ, "HARNESS_STATE_DIR": str(stack.state)},
        capture_output=True,
        text=True,
        timeout=400,
    )
    report = json.loads((out / "latest" / "report.json").read_text())
    assert proc.returncode == 0, (report["reasons"], proc.stderr[-3000:])
    assert report["verdict"] == "passed"
    expectations = {e["name"]: e for e in report["expectations"]}
    out_e = expectations["autoscaler user-service-hpa scale-out"]
    in_e = expectations["autoscaler user-service-hpa scale-in"]
    assert out_e["met"] and out_e["reason"].startswith("3 -> 5+ replicas"), out_e
    assert in_e["met"] and in_e["reason"].startswith("back to 3 replicas"), in_e
    charts = {c["title"]: c for c in report["charts"]}
    desired = charts["user-service replicas the autoscaler asks for"]["series"]
    values = [v for s in desired for _, v in s["samples"]]
    assert max(values) >= 5 and values[-1] == 3 and max(values) <= 20
    assert charts["user-service requests per second"]["series"]
    summary = (out / "latest" / "summary.md").read_text(encoding="utf-8")
    assert "| autoscaler user-service-hpa scale-out | yes | 3 -> 5+ replicas" in summary
