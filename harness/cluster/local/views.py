"""What the controller reports, as pure functions of its pods: endpoints, deployments, SD.

No I/O and no clock: each function reads the pods' current state and returns records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from harness.cluster.local.objects import Deployment, Service
from harness.cluster.local.pod import Pod
from harness.cluster.local.podspec import target_port
from harness.contracts.cluster import DeploymentStatus, Endpoint
from harness.process import LOOPBACK


def endpoints(
    services: Iterable[Service], pods: Iterable[Pod], service: str | None = None
) -> list[Endpoint]:
    """Every non-terminating pod behind each Service (ready or not), on its target port."""
    ordered = sorted(pods, key=lambda p: p.name)
    out = []
    for svc in services:
        if service is not None and svc.name != service:
            continue
        target = svc.ports[0].target_port
        for pod in ordered:
            dep = pod.plan.deployment
            if pod.terminating or dep.namespace != svc.namespace or not svc.selects(dep.labels):
                continue
            out.append(
                Endpoint(
                    service=svc.name,
                    pod=pod.name,
                    ip=LOOPBACK,
                    port=target_port(pod.plan.ports, target, pod.plan.port),
                    ready=pod.ready,
                    labels=dict(dep.labels),
                    service_account=dep.service_account,
                    workload=dep.name,
                )
            )
    return out


def deployments(
    by_key: Mapping[str, Deployment], desired: Mapping[str, int], pods: Iterable[Pod]
) -> list[DeploymentStatus]:
    """Desired and ready replicas per Deployment (Terminating pods are not ready)."""
    pods = list(pods)
    out = []
    for key, dep in sorted(by_key.items()):
        ready = sum(1 for p in pods if p.plan.deployment is dep and p.ready and not p.terminating)
        out.append(DeploymentStatus(dep.name, dep.namespace, desired[key], ready))
    return out


def service_discovery(pods: Iterable[Pod]) -> list[dict[str, Any]]:
    """Prometheus http_sd: every running pod, with the labels a pod scrape would carry.

    Pod annotations `prometheus.io/scrape: "false"`, `prometheus.io/port` and
    `prometheus.io/path` are honoured, as the usual Kubernetes scrape config does.
    """
    groups = []
    for pod in sorted(pods, key=lambda p: p.name):
        dep = pod.plan.deployment
        if pod.terminating or pod.status().pid is None:
            continue
        ann = dep.annotations
        if ann.get("prometheus.io/scrape", "true").lower() == "false":
            continue
        port = target_port(pod.plan.ports, ann.get("prometheus.io/port", ""), pod.plan.port)
        groups.append(
            {
                "targets": [f"{LOOPBACK}:{port}"],
                "labels": {
                    "__meta_harness_namespace": dep.namespace,
                    "__meta_harness_pod": pod.name,
                    "__meta_harness_app": dep.app,
                    "__meta_harness_version": dep.version,
                    "__meta_harness_deployment": dep.name,
                    "__meta_harness_pod_template_hash": dep.labels.get(
                        "rollouts-pod-template-hash", ""
                    ),
                    "__metrics_path__": ann.get("prometheus.io/path", "/metrics"),
                },
            }
        )
    return groups
