"""Kubernetes API objects → the records every target speaks (`harness.contracts.cluster`). Pure.

Inputs are the official client's models (`V1Pod`, `V1Deployment`, `V1Endpoints`) and, for Argo
Rollouts (a custom resource the client does not model), the plain dict the API returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from harness.contracts.cluster import DeploymentStatus, Endpoint, PodPhase, PodStatus

_FAILED_PHASES = {"Failed", "Succeeded", "Unknown"}


def _labels(meta: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (getattr(meta, "labels", None) or {}).items()}


def uid(item: Any) -> str:
    return str(item.metadata.uid) if item.metadata is not None else ""


def pod_phase(pod: Any) -> PodPhase:
    """kubectl's STATUS column: Terminating and CrashLoopBackOff win over the API's phase."""
    if pod.metadata.deletion_timestamp is not None:
        return PodPhase.TERMINATING
    for cs in (pod.status.container_statuses if pod.status else None) or []:
        waiting = cs.state.waiting if cs.state else None
        if waiting is not None and waiting.reason == "CrashLoopBackOff":
            return PodPhase.CRASH_LOOP
    phase = (pod.status.phase if pod.status else None) or "Pending"
    if phase == "Running":
        return PodPhase.RUNNING
    if phase in _FAILED_PHASES:
        return PodPhase.FAILED
    return PodPhase.PENDING


def _ready(pod: Any) -> bool:
    conditions = (pod.status.conditions if pod.status else None) or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def _owner_workload(pod: Any, labels: Mapping[str, str]) -> str:
    """The Deployment (or Rollout) behind the pod: its ReplicaSet's name minus the hash."""
    for ref in pod.metadata.owner_references or []:
        if ref.kind != "ReplicaSet":
            return str(ref.name)
        for key in ("pod-template-hash", "rollouts-pod-template-hash"):
            suffix = labels.get(key)
            if suffix and str(ref.name).endswith(f"-{suffix}"):
                return str(ref.name)[: -len(suffix) - 1]
        return str(ref.name)
    return labels.get("app", "")


def _ports(pod: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for container in pod.spec.containers or []:
        for port in container.ports or []:
            out[str(port.name or port.container_port)] = int(port.container_port)
    return out


def pod_status(pod: Any) -> PodStatus:
    labels = _labels(pod.metadata)
    ports = _ports(pod)
    created = pod.metadata.creation_timestamp
    return PodStatus(
        name=str(pod.metadata.name),
        namespace=str(pod.metadata.namespace or "default"),
        deployment=_owner_workload(pod, labels),
        service=labels.get("app", ""),
        version=labels.get("version", ""),
        phase=pod_phase(pod),
        ready=_ready(pod),
        restarts=sum(
            int(cs.restart_count or 0)
            for cs in ((pod.status.container_statuses if pod.status else None) or [])
        ),
        pid=None,  # a process on some node: not ours to signal
        port=next(iter(ports.values()), 0),
        created_at=created.timestamp() if created is not None else 0.0,
        labels=labels,
        service_account=str(pod.spec.service_account_name or ""),
        ports=ports,
    )


def deployment_status(deployment: Any) -> DeploymentStatus:
    spec_replicas = deployment.spec.replicas if deployment.spec else None
    ready = deployment.status.ready_replicas if deployment.status else None
    return DeploymentStatus(
        name=str(deployment.metadata.name),
        namespace=str(deployment.metadata.namespace or "default"),
        replicas=1 if spec_replicas is None else int(spec_replicas),
        ready_replicas=int(ready or 0),
    )


def rollout_status(rollout: Mapping[str, Any]) -> DeploymentStatus:
    """An Argo Rollout (argoproj.io/v1alpha1) as the plain dict the API returns."""
    meta = rollout.get("metadata") or {}
    spec = rollout.get("spec") or {}
    status = rollout.get("status") or {}
    replicas = spec.get("replicas")
    return DeploymentStatus(
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace") or "default"),
        replicas=1 if replicas is None else int(replicas),
        ready_replicas=int(status.get("readyReplicas") or 0),
    )


def endpoints(items: Iterable[Any], pods: Mapping[str, PodStatus]) -> list[Endpoint]:
    """Every address of every Endpoints object, ready or not; labels from the pod it names."""
    out: list[Endpoint] = []
    for ep in items:
        service = str(ep.metadata.name)
        for subset in ep.subsets or []:
            port = int(subset.ports[0].port) if subset.ports else 0
            for ready, addresses in ((True, subset.addresses), (False, subset.not_ready_addresses)):
                for address in addresses or []:
                    ref = address.target_ref
                    name = str(ref.name) if ref is not None and ref.kind == "Pod" else ""
                    pod = pods.get(name)
                    out.append(
                        Endpoint(
                            service=service,
                            pod=name,
                            ip=str(address.ip),
                            port=port,
                            ready=ready,
                            labels=dict(pod.labels) if pod else {},
                            service_account=pod.service_account if pod else "",
                            workload=pod.deployment if pod else "",
                        )
                    )
    return sorted(out, key=lambda e: (e.service, e.pod, e.ip))
