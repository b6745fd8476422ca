"""kube-state-metrics names from the controller's records (pure)."""

from __future__ import annotations

from harness.cluster.local.kube_state import render
from harness.contracts.cluster import DeploymentStatus, PodPhase, PodStatus


def _pod(name: str, ready: bool, restarts: int) -> PodStatus:
    return PodStatus(
        name=name,
        namespace="default",
        deployment="order-service",
        service="order-service",
        version="v1",
        phase=PodPhase.RUNNING,
        ready=ready,
        restarts=restarts,
        pid=None,
        port=18001,
        created_at=0.0,
    )


def test_deployments_and_pods_are_exported_as_kube_state_metrics_would() -> None:
    text = render(
        [DeploymentStatus("order-service", "default", 2, 1)],
        [_pod("order-service-a", True, 0), _pod("order-service-b", False, 3)],
    )
    lines = set(text.splitlines())
    assert "# TYPE kube_deployment_status_replicas_ready gauge" in lines
    assert (
        'kube_deployment_status_replicas_ready{namespace="default",deployment="order-service"} 1'
        in lines
    )
    assert (
        'kube_deployment_spec_replicas{namespace="default",deployment="order-service"} 2' in lines
    )
    assert (
        'kube_pod_status_ready{namespace="default",pod="order-service-b",condition="false"} 1'
        in lines
    )
    assert (
        'kube_pod_status_ready{namespace="default",pod="order-service-b",condition="true"} 0'
        in lines
    )
    assert "# TYPE kube_pod_container_status_restarts_total counter" in lines
    assert (
        "kube_pod_container_status_restarts_total"
        '{namespace="default",pod="order-service-b",container="order-service"} 3' in lines
    )


def test_label_values_are_escaped() -> None:
    text = render([DeploymentStatus('we"ird\\name', "default", 1, 1)], [])
    assert 'deployment="we\\"ird\\\\name"' in text
