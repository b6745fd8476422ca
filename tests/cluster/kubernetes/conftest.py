"""A FAKE Kubernetes API server (real HTTP on 127.0.0.1) seeded like the sample system."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.contracts.cluster import PodPhase, PodStatus
from tests.fakes.kube_api import ROLLOUTS, FakeKubeApi

ROOT = Path(__file__).resolve().parents[3]
MANIFESTS = ROOT / "deploy" / "kubernetes"
SAMPLE = {  # the Deployments deploy/kubernetes declares (Locust aside) and their replicas
    "inventory-service": 2,
    "kong-gateway": 2,
    "order-service": 2,
    "payment-service": 2,
}
ROLLOUT = "user-service"  # an Argo Rollout in deploy/kubernetes (blue-green, 2 replicas)


def pod(
    name: str,
    app: str,
    *,
    version: str = "v1",
    deployment: str = "",
    phase: PodPhase = PodPhase.RUNNING,
    ready: bool = True,
    restarts: int = 0,
    age: float = 120.0,
    ns: str = "default",
) -> PodStatus:
    return PodStatus(
        name=name,
        namespace=ns,
        deployment=deployment or app,
        service=app,
        version=version,
        phase=phase,
        ready=ready,
        restarts=restarts,
        pid=None,
        port=8080,
        created_at=time.time() - age,
        labels={"app": app, "version": version},
        service_account=app,
        ports={"http": 8080},
    )


def seed_sample(api: FakeKubeApi) -> None:
    for name, replicas in SAMPLE.items():
        api.add_deployment(name, replicas=replicas, ready=replicas)
    api.crds.add(ROLLOUTS)
    api.add_custom(
        "argoproj.io",
        "rollouts",
        {
            "metadata": {"name": ROLLOUT},
            "spec": {"replicas": 2},
            "status": {"readyReplicas": 2, "phase": "Healthy"},
        },
    )
    api.add_pod(pod("user-service-7d9f8-a1", "user-service", restarts=1))
    api.add_pod(pod("user-service-7d9f8-b2", "user-service"))
    # a revision being rolled out (the preview's pods): same workload, another version
    api.add_pod(pod("user-service-5c6d-c3", "user-service", version="v2"))


@pytest.fixture
def api() -> Iterator[FakeKubeApi]:
    with FakeKubeApi() as fake:
        seed_sample(fake)
        yield fake


@pytest.fixture
def kubeconfig(api: FakeKubeApi, tmp_path: Path) -> Path:
    return api.kubeconfig(tmp_path / "kubeconfig")
