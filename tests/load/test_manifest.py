"""deploy/kubernetes/locust.yaml: hardened pods; the ConfigMap layout really runs."""

from __future__ import annotations

import re
import shutil
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.process import spawn, stop
from tests.load.conftest import CREDENTIALS, ROOT, Target

MANIFEST = ROOT / "deploy/kubernetes/locust.yaml"


def documents() -> dict[str, dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d]
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in docs}


def pod(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = documents()[f"Deployment/{name}"]["spec"]["template"]["spec"]
    return spec


def script_items() -> list[dict[str, str]]:
    volume = next(v for v in pod("locust-master")["volumes"] if v["name"] == "scripts")
    items: list[dict[str, str]] = volume["configMap"]["items"]
    return items


def test_master_service_and_scalable_workers() -> None:
    docs = documents()
    assert {"Deployment/locust-master", "Service/locust-master", "Deployment/locust-worker"} <= set(
        docs
    )
    assert docs["Deployment/locust-master"]["spec"]["replicas"] == 1
    worker = pod("locust-worker")["containers"][0]
    assert "--worker" in worker["args"] and "--master-host=locust-master" in worker["args"]
    assert docs["Service/locust-master"]["spec"]["ports"][0]["port"] == 5557
    # the web UI has no authentication: loopback inside the pod, reached by port-forward
    assert "--web-host=127.0.0.1" in pod("locust-master")["containers"][0]["args"]


@pytest.mark.parametrize("name", ["locust-master", "locust-worker"])
def test_pods_are_hardened(name: str) -> None:
    spec = pod(name)
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    container = spec["containers"][0]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert {"requests", "limits"} <= set(container["resources"])
    assert container["image"] == f"locustio/locust:{version('locust')}"  # the version we test with
    secrets = {e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"]}
    assert secrets == {"kong-consumer-credentials"}  # no literal credentials
    assert spec["volumes"] == pod("locust-master")["volumes"]


def test_configmap_holds_every_loadtests_file_and_matches_the_documented_command() -> None:
    items = script_items()
    on_disk = {
        str(p.relative_to(ROOT / "loadtests"))
        for p in (ROOT / "loadtests").rglob("*.py")
        if p.parent != ROOT / "loadtests" or p.name == "locustfile.py"
    }
    assert {i["path"] for i in items} == on_disk
    for item in items:
        assert item["key"] == item["path"].replace("/", ".")
    documented = dict(re.findall(r"--from-file=(\S+?)=loadtests/(\S+)", MANIFEST.read_text()))
    assert documented == {i["key"]: i["path"] for i in items}


@pytest.mark.integration
def test_mounted_layout_runs_under_plain_locust(target: Target, tmp_path: Path) -> None:
    mount = tmp_path / "mnt"
    for item in script_items():
        (mount / item["path"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "loadtests" / item["path"], mount / item["path"])
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        f"{mount}/locustfile.py,{mount}/shapes/steady.py",
        "--headless",
        "--host",
        target.url,
        "--csv",
        str(tmp_path / "k"),
        "--exit-code-on-error",
        "0",
    ]
    env = {
        **CREDENTIALS,
        "PATH": "/usr/bin:/bin",
        "LOCUST_SHAPE_USERS": "2",
        "LOCUST_SHAPE_DURATION": "2",
        "LOAD_THINK_SCALE": "0.05",
        "HOME": str(tmp_path),
    }
    before = target.seen().get("signup", 0)
    proc = spawn(argv, env=env, cwd=tmp_path, log_path=tmp_path / "locust.log")
    try:
        rc = proc.wait(timeout=60)
    finally:
        stop(proc)
    assert rc == 0, (tmp_path / "locust.log").read_text()
    assert target.seen().get("signup", 0) >= before + 2  # shape users from LOCUST_SHAPE_USERS
    assert (tmp_path / "k_stats.csv").read_text().count("\n") > 2
