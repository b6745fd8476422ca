"""The kubernetes target's cluster interface, through the official client over real HTTP to a
FAKE API server (the one edge that cannot run here)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from harness.cluster.kubernetes import KubeCluster, preflight, resolve_target
from harness.contracts.cluster import Endpoint, PodPhase
from harness.errors import BadInput, CouldNotRun
from harness.process import free_port
from tests.cluster.kubernetes.conftest import MANIFESTS, pod
from tests.fakes.kube_api import ROLLOUTS, ApiError, FakeKubeApi


def _cluster(kubeconfig: Path, **kw: str) -> KubeCluster:
    return KubeCluster(resolve_target(kubeconfig=kubeconfig, context=None, namespace=None, **kw))


def test_pods_read_like_harness_status(api: FakeKubeApi, kubeconfig: Path) -> None:
    api.add_pod(pod("order-service-1", "order-service", phase=PodPhase.CRASH_LOOP, ready=False))
    api.add_pod(pod("payment-service-1", "payment-service", phase=PodPhase.TERMINATING))
    api.add_pod(pod("payment-service-2", "payment-service", phase=PodPhase.PENDING, ready=False))
    with _cluster(kubeconfig) as cluster:
        users = cluster.pods(service="user-service")
        everything = cluster.pods()
    assert [p.name for p in users] == [
        "user-service-5c6d-c3",
        "user-service-7d9f8-a1",
        "user-service-7d9f8-b2",
    ]
    v2, first = users[0], users[1]
    assert (first.phase, first.ready, first.restarts, first.version) == (
        PodPhase.RUNNING, True, 1, "v1",
    )  # fmt: skip
    assert first.deployment == v2.deployment == "user-service" and v2.version == "v2"
    assert first.pid is None and first.port == 8080 and first.service_account == "user-service"
    assert 60 < time.time() - first.created_at < 600
    crashing = next(p for p in everything if p.service == "order-service")
    assert crashing.phase is PodPhase.CRASH_LOOP and not crashing.ready
    phases = {p.name: p.phase for p in everything if p.service == "payment-service"}
    # the API says Running with a deletionTimestamp: kubectl (and we) say Terminating
    assert phases == {
        "payment-service-1": PodPhase.TERMINATING,
        "payment-service-2": PodPhase.PENDING,
    }


def test_deployments_include_argo_rollouts_when_the_crd_is_installed(
    api: FakeKubeApi, kubeconfig: Path
) -> None:
    api.crds.discard(ROLLOUTS)
    with _cluster(kubeconfig) as cluster:
        before = {d.name for d in cluster.deployments()}  # no Rollout CRD: just Deployments
    assert "order-service" in before and "user-service" not in before
    api.crds.add(ROLLOUTS)
    api.add_custom(
        "argoproj.io",
        "rollouts",
        {
            "metadata": {"name": "shop-canary"},
            "spec": {"replicas": 3},
            "status": {"readyReplicas": 1},
        },
    )
    with _cluster(kubeconfig) as cluster:
        assert "user-service" in {d.name for d in cluster.deployments()}
        canary = next(d for d in cluster.deployments() if d.name == "shop-canary")
        assert (canary.replicas, canary.ready_replicas, canary.available) == (3, 1, False)
        scaled = cluster.scale("shop-canary", 2)  # no such Deployment: the Rollout's /scale
    assert (scaled.replicas, scaled.ready_replicas) == (2, 2)


def test_scale_and_forced_delete(api: FakeKubeApi, kubeconfig: Path) -> None:
    with _cluster(kubeconfig) as cluster:
        status = cluster.scale("user-service", 3)
        gone = cluster.delete_pod("user-service-7d9f8-b2", grace_period=0)
        left = [p.name for p in cluster.pods(service="user-service")]
    assert status.replicas == 3
    assert gone.name == "user-service-7d9f8-b2"
    assert api.deleted == [("user-service-7d9f8-b2", 0)]  # kubectl --grace-period=0
    assert "user-service-7d9f8-b2" not in left


def test_endpoints_carry_the_pod_labels(api: FakeKubeApi, kubeconfig: Path) -> None:
    api.endpoint_records = [
        Endpoint("user-service", "user-service-7d9f8-a1", "10.1.0.4", 8080, True),
        Endpoint("user-service", "user-service-7d9f8-b2", "10.1.0.5", 8080, False),
    ]
    with _cluster(kubeconfig) as cluster:
        eps = cluster.endpoints(service="user-service")
        assert cluster.endpoints(service="nothing-here") == []
    assert [(e.pod, e.ip, e.ready) for e in eps] == [
        ("user-service-7d9f8-a1", "10.1.0.4", True),
        ("user-service-7d9f8-b2", "10.1.0.5", False),
    ]
    assert eps[0].labels["version"] == "v1" and eps[0].service_account == "user-service"


def test_preflight_names_what_is_missing_or_unavailable(api: FakeKubeApi, kubeconfig: Path) -> None:
    with _cluster(kubeconfig) as cluster:
        ready = preflight(cluster, MANIFESTS)
        assert {d.name for d in ready} >= {"kong-gateway", "user-service"}  # a Rollout
        assert not any(d.name.startswith("locust") for d in ready)  # the harness runs Locust
        del api.deployments[("default", "payment-service")]
        api.add_deployment("order-service", replicas=2, ready=1)
        with pytest.raises(CouldNotRun) as info:
            preflight(cluster, MANIFESTS)
    message = str(info.value)
    assert "missing: payment-service" in message
    assert "not available: order-service (1/2 ready)" in message
    assert "kubectl apply -n default" in message and "\n" not in message


def test_context_namespace_is_the_default(api: FakeKubeApi, tmp_path: Path) -> None:
    path = api.kubeconfig(tmp_path / "kc", context="shop", namespace="shop")
    target = resolve_target(kubeconfig=path, context=None, namespace=None)
    assert (target.context, target.namespace, target.server) == ("shop", "shop", api.url)
    assert resolve_target(kubeconfig=path, context="shop", namespace="x").namespace == "x"


def test_missing_namespace_is_one_line_naming_the_fix(api: FakeKubeApi, kubeconfig: Path) -> None:
    target = resolve_target(kubeconfig=kubeconfig, context=None, namespace="shop")
    with KubeCluster(target) as cluster, pytest.raises(CouldNotRun) as info:
        cluster.check_namespace()
    assert "namespace 'shop' does not exist" in str(info.value)
    assert str(kubeconfig) in str(info.value) and "--namespace" in str(info.value)


def test_bad_credentials_and_forbidden_verbs(api: FakeKubeApi, kubeconfig: Path) -> None:
    api.token = "the-real-token"  # the kubeconfig still holds the old one
    with _cluster(kubeconfig) as cluster, pytest.raises(CouldNotRun) as info:
        cluster.pods()
    assert "401 Unauthorized" in str(info.value) and "context 'fake'" in str(info.value)
    api.token = None
    api.forbid.add(("DELETE", "pod"))
    with _cluster(kubeconfig) as cluster, pytest.raises(CouldNotRun) as info:
        cluster.delete_pod("user-service-7d9f8-a1")
    assert "may not delete pod user-service-7d9f8-a1 in namespace default (403" in str(info.value)


def test_unreachable_api_server(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    with FakeKubeApi() as api:
        api.kubeconfig(path)
    # the server is gone; its port is free again
    with _cluster(path) as cluster, pytest.raises(CouldNotRun) as info:
        cluster.check_namespace()
    message = str(info.value)
    assert message.startswith(f"cannot reach the Kubernetes API at {api.url}")
    assert "kubectl --context fake get namespaces" in message and "\n" not in message


def test_kubeconfig_and_context_mistakes_are_bad_input(tmp_path: Path, kubeconfig: Path) -> None:
    with pytest.raises(BadInput, match=r"no file at .*--kubeconfig FILE or set KUBECONFIG"):
        resolve_target(kubeconfig=tmp_path / "nope", context=None, namespace=None)
    with pytest.raises(BadInput, match=r"no context 'prod' in kubeconfig .* \(contexts: fake\)"):
        resolve_target(kubeconfig=kubeconfig, context="prod", namespace=None)
    broken = tmp_path / "broken"
    broken.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config"}), encoding="utf-8")
    with pytest.raises(BadInput, match="broken"):
        resolve_target(kubeconfig=broken, context=None, namespace=None)


def test_server_errors_are_one_line(api: FakeKubeApi, kubeconfig: Path) -> None:
    def boom(method: str, route: str) -> None:
        raise ApiError(500, "InternalError", "etcdserver: request timed out")

    api.before = boom
    with _cluster(kubeconfig) as cluster, pytest.raises(CouldNotRun, match="list pods: HTTP 500"):
        cluster.pods()
    assert free_port()  # nothing leaked a listening socket in the way
