"""The controller's view as kube-state-metrics would export it (the subset the reports read).

On a cluster, kube-state-metrics turns the API's Deployments and pods into series such as
`kube_deployment_status_replicas_ready`; the report's "Ready pods" chart and users' own SLO
queries read those names. The local controller exports the same names and labels from its own
records at the admin API's `/metrics`, so one query works on both targets. Pure: records in,
Prometheus text exposition out.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.contracts.cluster import DeploymentStatus, PodStatus

_HELP = {
    "kube_deployment_spec_replicas": ("gauge", "Number of desired pods for a deployment."),
    "kube_deployment_status_replicas_ready": (
        "gauge",
        "The number of ready replicas per deployment.",
    ),
    "kube_pod_status_ready": ("gauge", "Describes whether the pod is ready to serve requests."),
    "kube_pod_container_status_restarts_total": (
        "counter",
        "The number of container restarts per container.",
    ),
}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _series(name: str, labels: dict[str, str], value: float) -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
    return f"{name}{{{inner}}} {value:g}"


def render(deployments: Iterable[DeploymentStatus], pods: Iterable[PodStatus]) -> str:
    """kube-state-metrics text for these records (names, labels and types as upstream)."""
    rows: dict[str, list[str]] = {name: [] for name in _HELP}
    for d in sorted(deployments, key=lambda d: (d.namespace, d.name)):
        labels = {"namespace": d.namespace, "deployment": d.name}
        rows["kube_deployment_spec_replicas"].append(
            _series("kube_deployment_spec_replicas", labels, d.replicas)
        )
        rows["kube_deployment_status_replicas_ready"].append(
            _series("kube_deployment_status_replicas_ready", labels, d.ready_replicas)
        )
    for p in sorted(pods, key=lambda p: (p.namespace, p.name)):
        for condition, value in (("true", p.ready), ("false", not p.ready), ("unknown", False)):
            rows["kube_pod_status_ready"].append(
                _series(
                    "kube_pod_status_ready",
                    {"namespace": p.namespace, "pod": p.name, "condition": condition},
                    float(value),
                )
            )
        rows["kube_pod_container_status_restarts_total"].append(
            _series(
                "kube_pod_container_status_restarts_total",
                # one container per pod here, named after its Deployment's app
                {"namespace": p.namespace, "pod": p.name, "container": p.service},
                p.restarts,
            )
        )
    lines = []
    for name, (kind, text) in _HELP.items():
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", *rows[name]]
    return "\n".join(lines) + "\n"
