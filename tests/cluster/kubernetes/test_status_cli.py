"""`harness status --target kubernetes`: the local table, read from the cluster's API (FAKE
API server over real HTTP)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cluster.kubernetes.conftest import ROOT
from tests.fakes.kube_api import FakeKubeApi

pytestmark = pytest.mark.integration  # `harness status` in a child interpreter


def _status(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    return subprocess.run(
        [sys.executable, "-m", "harness", "status", "--target", "kubernetes", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=60, env=env,
    )  # fmt: skip


def test_status_table_and_json_from_the_api(api: FakeKubeApi, kubeconfig: Path) -> None:
    proc = _status("--kubeconfig", str(kubeconfig))
    assert proc.returncode == 0, proc.stderr
    header, *rows = proc.stdout.splitlines()
    assert header.split() == [
        "NAME",
        "SERVICE",
        "VERSION",
        "PHASE",
        "READY",
        "RESTARTS",
        "AGE",
        "PID",
        "PORT",
    ]
    first = next(r.split() for r in rows if r.startswith("user-service-7d9f8-a1"))
    assert rows[0].startswith("user-service-5c6d-c3")  # sorted by name: the new revision's pod
    assert first[:6] == ["user-service-7d9f8-a1", "user-service", "v1", "Running", "1/1", "1"]
    assert first[7:] == ["-", "8080"] and first[6].startswith("2m")
    data = json.loads(_status("--kubeconfig", str(kubeconfig), "--json").stdout)
    assert data["namespace"] == "default" and data["context"] == "fake"
    assert {d["name"] for d in data["deployments"]} >= {"kong-gateway", "user-service"}


def test_status_of_a_missing_namespace_is_exit_3(api: FakeKubeApi, kubeconfig: Path) -> None:
    proc = _status("--kubeconfig", str(kubeconfig), "-n", "shop")
    assert proc.returncode == 3
    assert proc.stderr.startswith("harness: namespace 'shop' does not exist")
    assert len(proc.stderr.splitlines()) == 1
