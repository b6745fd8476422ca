"""`harness run --target kubernetes`: preflight refusals, and one run end to end.

The Kubernetes API is a FAKE server (tests/fakes/kube_api.py, real HTTP on 127.0.0.1), the one
edge that cannot run here. For the end-to-end run it is backed by a real local stack: pods,
Deployments and Endpoints are the controller's, and a pod DELETE sent by chaosk8s kills a real
process. The gateway and Prometheus are the local stack's, handed in with --gateway and
--prometheus as a `kubectl port-forward` would; Locust, Chaos Toolkit and Prometheus are real.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.chaos.ledger import FaultLedger
from harness.errors import ConfigError
from harness.mesh import faults as mesh_faults
from harness.process import free_port
from harness.run.kube_stack import check_experiment_namespace
from harness.run.stack import ensure_stack, take_down
from harness.run.target import KubeOptions
from tests.cluster.conftest import Stack, run_cli, sample_stack
from tests.cluster.kubernetes.conftest import seed_sample
from tests.fakes.kube_api import FakeKubeApi
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
POD_KILL = ROOT / "experiments" / "pod-kill-user-service.yaml"
SMOKE = ROOT / "experiments" / "smoke.yaml"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HARNESS_", "KUBE"))}
    return {**env, **extra}


def harness_run(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", "run", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=timeout, env=env,
    )  # fmt: skip


@pytest.fixture
def api(tmp_path: Path) -> Iterator[FakeKubeApi]:
    with FakeKubeApi() as fake:
        seed_sample(fake)
        yield fake


def _k8s_args(kubeconfig: Path, tmp: Path, *, gateway: str, prometheus: str) -> list[str]:
    return [
        "--target", "kubernetes", "--kubeconfig", str(kubeconfig), "--gateway", gateway,
        "--prometheus", prometheus, "--out", str(tmp / "reports"), "--state-dir", str(tmp / "s"),
    ]  # fmt: skip


@pytest.mark.integration  # `harness run` in a child interpreter
def test_gateway_and_prometheus_are_required(tmp_path: Path) -> None:
    env = _env(HARNESS_GATEWAY_URL="http://127.0.0.1:8000")
    proc = harness_run("smoke", "--target", "kubernetes", env=env)
    assert proc.returncode == 2
    assert proc.stderr.startswith("harness: --prometheus: required with --target kubernetes")
    assert "HARNESS_PROMETHEUS_URL" in proc.stderr and len(proc.stderr.splitlines()) == 1
    proc = harness_run("smoke", "--gateway", "http://127.0.0.1:8000", env=_env())
    assert proc.returncode == 2 and "--gateway: only with --target kubernetes" in proc.stderr


@pytest.mark.integration  # `harness run` in a child interpreter
def test_api_server_down_is_exit_3_in_one_line(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    with FakeKubeApi() as gone:
        gone.kubeconfig(kubeconfig)
    nowhere = f"http://127.0.0.1:{free_port()}"
    proc = harness_run(
        "smoke", *_k8s_args(kubeconfig, tmp_path, gateway=nowhere, prometheus=nowhere), env=_env()
    )
    assert proc.returncode == 3, proc.stderr
    error = proc.stderr.strip().splitlines()[-1]
    assert error.startswith(f"harness: cannot reach the Kubernetes API at {gone.url}")
    assert str(kubeconfig) in error and "Traceback" not in proc.stderr
    assert not (tmp_path / "reports").exists()


@pytest.mark.integration  # `harness run` in a child interpreter
def test_missing_and_unavailable_deployments_are_named(api: FakeKubeApi, tmp_path: Path) -> None:
    del api.deployments[("default", "inventory-service")]
    api.add_custom(  # user-service is an Argo Rollout, none of its pods ready
        "argoproj.io",
        "rollouts",
        {"metadata": {"name": "user-service"}, "spec": {"replicas": 2}, "status": {}},
    )
    nowhere = f"http://127.0.0.1:{free_port()}"
    kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
    proc = harness_run(
        "smoke", *_k8s_args(kubeconfig, tmp_path, gateway=nowhere, prometheus=nowhere), env=_env()
    )
    assert proc.returncode == 3, proc.stderr
    error = proc.stderr.strip().splitlines()[-1]
    assert "missing: inventory-service" in error
    assert "not available: user-service (0/2 ready)" in error
    assert ("DELETE", "/api/v1/namespaces/default/pods") not in api.requests  # nothing touched


@pytest.mark.integration  # `harness run` in a child interpreter
def test_prometheus_that_does_not_answer_is_exit_3(api: FakeKubeApi, tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
    proc = harness_run(
        "smoke", *_k8s_args(kubeconfig, tmp_path, gateway=nowhere, prometheus=nowhere), env=_env()
    )
    assert proc.returncode == 3, proc.stderr
    assert f"the Prometheus at {nowhere} does not answer" in proc.stderr
    assert "port-forward" in proc.stderr


def test_experiments_must_aim_at_the_target_namespace() -> None:
    experiment = yaml.safe_load(POD_KILL.read_text(encoding="utf-8"))
    check_experiment_namespace(experiment, str(POD_KILL), "shop")  # `ns: ${namespace}`
    experiment["method"][0]["provider"]["arguments"]["ns"] = "default"
    check_experiment_namespace(experiment, str(POD_KILL), "default")
    with pytest.raises(ConfigError) as info:
        check_experiment_namespace(experiment, str(POD_KILL), "shop")
    assert "method[0].provider.arguments.ns: is 'default' but the run targets namespace 'shop'" in (
        str(info.value)
    )


# ---- end to end ------------------------------------------------------------------------------


def _short_pod_kill(tmp: Path) -> Path:
    """experiments/pod-kill-user-service.yaml with short phases and no analysis replay."""
    doc: dict[str, Any] = yaml.safe_load(POD_KILL.read_text(encoding="utf-8"))
    doc["configuration"]["recovery_seconds"] = 6
    ext = next(e for e in doc["extensions"] if e["name"] == "harness")
    ext["phases"] = {
        "warmup": "6s",
        "baseline": "5s",
        "fault": "until-method-ends",
        "recovery": "5s",
    }
    ext["analyses"] = []
    # a light load: signing users up (argon2) on a busy 2-core box is what the p95 would judge
    ext["load"].update(users=6, spawn_rate=6)
    path = tmp / "pod-kill-user-service.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with sample_stack(tmp_path_factory.mktemp("kube-run") / "local") as s:
        yield s


def _handle_in_process(kubeconfig: Path, tmp: Path, stack: Stack, mp: pytest.MonkeyPatch) -> None:
    """The stack handle `harness run` gets: never started by it, its cluster read from the API."""
    from kubernetes.config import kube_config

    for name in ("KUBECONFIG", "KUBERNETES_CONTEXT"):  # ensure_stack sets them for chaosk8s
        mp.setenv(name, "")
    mp.setattr(
        kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", kube_config.KUBE_CONFIG_DEFAULT_LOCATION
    )
    options = KubeOptions(
        kubeconfig=kubeconfig,
        gateway=f"http://127.0.0.1:{stack.gateway_port}",
        prometheus=f"http://127.0.0.1:{stack.prometheus_port}",
    )
    handle = ensure_stack("kubernetes", tmp / "s", ROOT, kube=options)
    assert (handle.started, handle.target, handle.namespace) == (False, "kubernetes", "default")
    cluster = handle.open_cluster()
    try:
        ready = {d.name: d.ready_replicas for d in cluster.deployments()}
    finally:
        cluster.close()
    # the Rollout, counted as one workload; the HPA holds it at minReplicas 3 or more
    assert ready["user-service"] >= 3
    take_down(handle)  # a no-op on a cluster
    assert os.environ["KUBECONFIG"] == str(kubeconfig)


@pytest.mark.integration
def test_pod_kill_on_the_kubernetes_target_end_to_end(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with stack.client() as admin, FakeKubeApi(admin=admin) as api:
        # locally the gateway is the mesh process, not a Deployment: the fake lists it
        api.add_deployment("kong-gateway", replicas=2, ready=2)
        before = {p.name for p in admin.pods(service="user-service")}  # the Rollout's pods
        secrets = stack.state / "secrets" / "kong-consumer-credentials"
        env = _env(  # what a user exports from the cluster's Secret
            HARNESS_API_KEY=(secrets / "web-app-api-key").read_text().strip(),
            HARNESS_JWT_SECRET=(secrets / "web-app-jwt-secret").read_text().strip(),
        )
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
        _handle_in_process(kubeconfig, tmp_path, stack, monkeypatch)
        args = _k8s_args(
            kubeconfig, tmp_path,
            gateway=f"http://127.0.0.1:{stack.gateway_port}",
            prometheus=f"http://127.0.0.1:{stack.prometheus_port}",
        )  # fmt: skip
        proc = harness_run(str(_short_pod_kill(tmp_path)), *args, env=env, timeout=150)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "not started or stopped by the run" in proc.stderr
        # chaosk8s deleted one user-service pod through the API; the controller replaced it
        killed = [name for name, _ in api.deleted]
        assert len(killed) == 1 and killed[0] in before

        def all_ready() -> list[str] | None:
            ready = [p.name for p in admin.pods(service="user-service") if p.ready]
            return ready if len(ready) >= len(before) else None

        assert killed[0] not in eventually(all_ready, timeout=20)
    report = json.loads((tmp_path / "reports" / "latest" / "report.json").read_text())
    assert report["target"] == "kubernetes" and report["exit_code"] == 0
    assert FaultLedger.in_state_dir(tmp_path / "s", "kubernetes").outstanding() == []
    assert run_cli("status", "--state-dir", str(stack.state)).returncode == 0  # left running


def _short_smoke(tmp: Path) -> Path:
    doc: dict[str, Any] = yaml.safe_load(SMOKE.read_text(encoding="utf-8"))
    doc["method"][0]["pauses"] = {"after": 5}
    ext = next(e for e in doc["extensions"] if e["name"] == "harness")
    ext["phases"] = {"warmup": "6s", "baseline": "5s", "recovery": "5s"}
    ext["analyses"] = []
    path = tmp / "smoke.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.integration
def test_istio_abort_on_the_kubernetes_target_end_to_end(stack: Stack, tmp_path: Path) -> None:
    """smoke.yaml: chaosistio patches the VirtualService through the API; the fake plays istiod
    (the patch's fault block becomes the local mesh's fault), and the rollback removes it."""
    assert stack.prometheus_port is not None
    with stack.client() as admin, FakeKubeApi(admin=admin, mesh_state=stack.state) as api:
        api.add_deployment("kong-gateway", replicas=2, ready=2)
        api.load_virtual_services(ROOT / "deploy" / "kubernetes" / "istio.yaml")
        secrets = stack.state / "secrets" / "kong-consumer-credentials"
        env = _env(
            HARNESS_API_KEY=(secrets / "web-app-api-key").read_text().strip(),
            HARNESS_JWT_SECRET=(secrets / "web-app-jwt-secret").read_text().strip(),
        )
        args = _k8s_args(
            api.kubeconfig(tmp_path / "kubeconfig"), tmp_path,
            gateway=f"http://127.0.0.1:{stack.gateway_port}",
            prometheus=f"http://127.0.0.1:{stack.prometheus_port}",
        )  # fmt: skip
        proc = harness_run(str(_short_smoke(tmp_path)), *args, env=env, timeout=150)
        assert proc.returncode == 0, proc.stderr[-3000:]
        patches = [r for m, r in api.requests if m == "PATCH" and "virtualservices" in r]
        path = "/apis/networking.istio.io/v1alpha3/namespaces/default/virtualservices/"
        assert patches == [path + "payment-service"] * 2  # the fault, then the rollback
        # the mesh proxy enforced the fault, then its removal (what istiod would push)
        assert api.mirrored == [("payment-service", 1, True), ("payment-service", 0, True)]
        vs = api.custom[("networking.istio.io", "virtualservices", "default", "payment-service")]
        assert all("fault" not in http for http in vs["spec"]["http"])
    assert mesh_faults.active(mesh_faults.ledger_path(stack.state)) == []
    report = json.loads((tmp_path / "reports" / "latest" / "report.json").read_text())
    assert report["target"] == "kubernetes"
