"""`harness rollout ... --target kubernetes`: the Argo Rollouts API through the official client,
with the kubectl plugin's patches, against the FAKE Kubernetes API server (real HTTP).

The fake stores what is patched; it does not run Argo's controller, so these tests check what
the harness reads and what it asks the cluster to do, never a state change Argo would make.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cluster.kubernetes import KubeCluster, resolve_target
from harness.contracts.rollouts import RolloutControl
from tests.cluster.kubernetes.conftest import ROOT
from tests.fakes.kube_api import ROLLOUTS, FakeKubeApi

OLD, NEW = "2r9nnrlw5v", "bdjr8gqbsj"
RUNS = ("argoproj.io", "v1alpha1", "analysisruns")
T = "2026-12-04T22:00:00Z"


def _owner(name: str = "user-service") -> list[dict[str, Any]]:
    return [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": name,
             "uid": "u1", "controller": True}]  # fmt: skip


def _replica_set(h: str, revision: int, ready: int, version: str) -> dict[str, Any]:
    labels = {"app": "user-service", "version": version, "rollouts-pod-template-hash": h}
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"user-service-{h}",
            "labels": labels,
            "annotations": {"rollout.argoproj.io/revision": str(revision)},
            "ownerReferences": _owner(),
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "user-service", "image": "harness/u:1.0.0"}]},
            },
        },
        "status": {"replicas": 2, "readyReplicas": ready},
    }


@pytest.fixture
def paused(api: FakeKubeApi) -> FakeKubeApi:
    """user-service paused after a Successful pre-promotion analysis of revision 2."""
    api.crds |= {ROLLOUTS, RUNS}
    api.add_custom(
        "argoproj.io",
        "rollouts",
        {
            "metadata": {"name": "user-service"},
            "spec": {
                "replicas": 2,
                "strategy": {"blueGreen": {"activeService": "user-service",
                                           "previewService": "user-service-preview"}},
                "template": {"spec": {"containers": [
                    {"name": "user-service", "image": "harness/u:1.0.0",
                     "env": [{"name": "SERVICE_VERSION", "value": "v1"}]}]}},
            },
            "status": {
                "phase": "Paused", "message": "BlueGreenPause",
                "currentPodHash": NEW, "stableRS": OLD, "availableReplicas": 2,
                "blueGreen": {"activeSelector": OLD, "previewSelector": NEW},
                "pauseConditions": [{"reason": "BlueGreenPause", "startTime": T}],
            },
        },
    )  # fmt: skip
    api.add_replica_set(_replica_set(OLD, 1, 2, "v1"))
    api.add_replica_set(_replica_set(NEW, 2, 2, "v2"))
    api.add_custom(
        "argoproj.io",
        "analysisruns",
        {
            "metadata": {"name": f"user-service-{NEW}-2-pre", "ownerReferences": _owner(),
                         "labels": {"rollout-type": "PrePromotion"}},
            "status": {"phase": "Successful", "metricResults": [
                {"name": "success-rate", "phase": "Successful", "measurements": [
                    {"phase": "Successful", "value": "[1]", "finishedAt": T}]}]},
        },
    )  # fmt: skip
    return api


def _rollout(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    return subprocess.run(
        [sys.executable, "-m", "harness", "rollout", *args, "--target", "kubernetes",
         "--kubeconfig", str(kubeconfig)],
        capture_output=True, text=True, cwd=ROOT, timeout=60, env=env,
    )  # fmt: skip


def _cluster(kubeconfig: Path) -> KubeCluster:
    return KubeCluster(resolve_target(kubeconfig=kubeconfig, context=None, namespace=None))


def test_the_rollout_reads_like_the_local_one(paused: FakeKubeApi, kubeconfig: Path) -> None:
    with _cluster(kubeconfig) as cluster:
        assert isinstance(cluster, RolloutControl)
        doc = cluster.rollout("user-service")
    assert (doc["phase"], doc["message"]) == ("Paused", "BlueGreenPause")
    assert (doc["activeService"], doc["previewService"]) == ("user-service", "user-service-preview")
    revs = [(r["revision"], r["podTemplateHash"], r["stable"], r["active"], r["preview"])
            for r in doc["revisions"]]  # fmt: skip
    assert revs == [(1, OLD, True, True, False), (2, NEW, False, False, True)]
    [run] = doc["analysisRuns"]
    assert (run["kind"], run["phase"]) == ("PrePromotion", "Successful")
    assert run["metrics"][0]["measurements"][0]["value"] == "[1]"


def _patches(api: FakeKubeApi) -> list[str]:
    return [path for method, path in api.requests if method == "PATCH"]


@pytest.mark.integration  # `harness rollout` in a child interpreter
def test_promote_abort_retry_and_set_image_are_the_plugins_patches(
    paused: FakeKubeApi, kubeconfig: Path
) -> None:
    shown = _rollout(kubeconfig, "status", "user-service")
    assert shown.returncode == 0, shown.stderr
    assert "Status:    Paused - BlueGreenPause" in shown.stdout
    assert f"revision 2 {NEW} harness/u:1.0.0: 2/2 ready preview" in shown.stdout
    key = ("argoproj.io", "rollouts", "default", "user-service")

    assert _rollout(kubeconfig, "promote", "user-service").returncode == 0
    assert paused.custom[key]["status"].get("pauseConditions") is None
    assert paused.custom[key]["spec"]["paused"] is False
    assert _patches(paused)[-1].endswith("/rollouts/user-service/status")

    assert _rollout(kubeconfig, "abort", "user-service").returncode == 0
    assert paused.custom[key]["status"]["abort"] is True
    assert _rollout(kubeconfig, "retry", "user-service").returncode == 0
    assert paused.custom[key]["status"]["abort"] is False

    done = _rollout(kubeconfig, "set-image", "user-service", "harness/u:2.0.0",
                    "--env", "SERVICE_VERSION=v2", "--label", "version=v2", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    template = paused.custom[key]["spec"]["template"]
    [container] = template["spec"]["containers"]
    assert container["image"] == "harness/u:2.0.0"
    assert container["env"] == [{"name": "SERVICE_VERSION", "value": "v2"}]
    assert template["metadata"]["labels"] == {"version": "v2"}
    assert json.loads(done.stdout)["name"] == "user-service"


@pytest.mark.integration
def test_a_missing_rollout_and_a_forbidden_patch_are_one_line(
    paused: FakeKubeApi, kubeconfig: Path
) -> None:
    missing = _rollout(kubeconfig, "status", "nothing")
    assert missing.returncode == 3 and len(missing.stderr.strip().splitlines()) == 1
    assert "read Rollout nothing: not found in namespace default" in missing.stderr
    paused.forbid.add(("PATCH", "custom_status"))
    denied = _rollout(kubeconfig, "abort", "user-service")
    assert denied.returncode == 3 and "(403 Forbidden)" in denied.stderr
    assert "Traceback" not in denied.stderr
