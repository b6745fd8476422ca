"""Argo Rollouts on a cluster: read and drive a Rollout the way the kubectl plugin does.

    doc = rollout_doc(cluster, "user-service")          # the local admin API's shape
    rollout_action(cluster, "user-service", "promote", {})

Reads the `argoproj.io/v1alpha1` Rollout and the ReplicaSets it owns, and returns the document
the local target's admin API returns (docs/rollouts.md), so `harness rollout status` renders
both the same way: Argo's own `status.phase`/`status.message`, `status.blueGreen` selectors,
one entry per revision (ReplicaSet annotation `rollout.argoproj.io/revision`, its pods, its
`scale-down-deadline`), the AnalysisRuns the Rollout created. Events are not read (`kubectl
describe rollout` shows them).

The verbs are the plugin's patches (`pkg/kubectl-argo-rollouts/cmd/...`): `promote` clears
`status.pauseConditions` (and `spec.paused`), `--full` sets `status.promoteFull`; `abort` sets
`status.abort: true`, `retry` false: JSON merge patches on the `status` subresource. `set image`
is a merge patch of `spec.template` with the container's new image (plus the harness' env and
label extension), the containers list sent whole, as a merge patch must.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol, TypeVar

from harness.errors import BadInput

T = TypeVar("T")


class KubeCluster(Protocol):
    """What these calls use of `cluster.KubeCluster` (a protocol: that module imports this one)."""

    namespace: str
    _custom: Any  # kubernetes.client.CustomObjectsApi
    _apps: Any  # kubernetes.client.AppsV1Api

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T: ...


GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "rollouts"
HASH = "rollouts-pod-template-hash"
REVISION = "rollout.argoproj.io/revision"
DEADLINE = "scale-down-deadline"


def _get(cluster: KubeCluster, name: str) -> dict[str, Any]:
    found: dict[str, Any] = cluster._call(
        f"read Rollout {name}",
        cluster._custom.get_namespaced_custom_object,
        GROUP, VERSION, cluster.namespace, PLURAL, name,
    )  # fmt: skip
    return found


def _seconds(stamp: Any) -> float | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _owned(obj: Any, name: str) -> bool:
    return any(
        o.kind == "Rollout" and o.name == name for o in (obj.metadata.owner_references or [])
    )


def _revisions(cluster: KubeCluster, name: str, status: Mapping[str, Any]) -> list[dict[str, Any]]:
    sets = cluster._call(
        "list ReplicaSets", cluster._apps.list_namespaced_replica_set, cluster.namespace
    )
    bg = status.get("blueGreen") or {}
    out = []
    for rs in sets.items:
        if not _owned(rs, name):
            continue
        meta = rs.metadata
        h = (meta.labels or {}).get(HASH, "")
        containers = rs.spec.template.spec.containers if rs.spec and rs.spec.template else []
        out.append(
            {
                "podTemplateHash": h,
                "revision": int((meta.annotations or {}).get(REVISION, 0) or 0),
                "image": containers[0].image if containers else "",
                "version": (rs.spec.template.metadata.labels or {}).get("version", ""),
                "replicas": int(rs.spec.replicas or 0),
                "ready": int((rs.status.ready_replicas if rs.status else 0) or 0),
                "scaleDownAt": _seconds((meta.annotations or {}).get(DEADLINE)),
                "active": h == bg.get("activeSelector"),
                "preview": h == bg.get("previewSelector"),
                "stable": h == status.get("stableRS"),
            }
        )
    return sorted(out, key=lambda r: r["revision"])


def _metric(m: Mapping[str, Any]) -> dict[str, Any]:
    """One `status.metricResults[]` entry, as the local runs show a metric."""
    measurements = [
        {
            "time": x.get("finishedAt") or x.get("startedAt"),
            "value": x.get("value"),
            "phase": x.get("phase", ""),
        }
        for x in m.get("measurements") or ()
    ]
    return {
        "name": m.get("name", ""),
        "phase": m.get("phase", ""),
        "message": m.get("message", ""),
        "measurements": measurements,
    }


def _runs(cluster: KubeCluster, name: str) -> list[dict[str, Any]]:
    found = cluster._call(
        "list AnalysisRuns",
        cluster._custom.list_namespaced_custom_object,
        GROUP, VERSION, cluster.namespace, "analysisruns",
    )  # fmt: skip
    out = []
    for run in found.get("items", ()):
        meta = run.get("metadata") or {}
        owners = meta.get("ownerReferences") or []
        if not any(o.get("kind") == "Rollout" and o.get("name") == name for o in owners):
            continue
        st = run.get("status") or {}
        out.append(
            {
                "name": meta.get("name", ""),
                "kind": (meta.get("labels") or {}).get("rollout-type", ""),
                "phase": st.get("phase", "Pending"),
                "message": st.get("message", ""),
                "metrics": [_metric(m) for m in st.get("metricResults") or ()],
            }
        )
    return out


def rollout_doc(cluster: KubeCluster, name: str) -> dict[str, Any]:
    """The Rollout as the local admin API shows one (`harness rollout status --json`)."""
    ro = _get(cluster, name)
    spec, st = ro.get("spec") or {}, ro.get("status") or {}
    bg = (spec.get("strategy") or {}).get("blueGreen") or {}
    return {
        "name": name,
        "namespace": cluster.namespace,
        "phase": st.get("phase", "Progressing"),
        "message": st.get("message", ""),
        "replicas": int(spec.get("replicas", 1) or 0),
        "activeService": bg.get("activeService", ""),
        "previewService": bg.get("previewService"),
        "status": {
            "currentPodHash": st.get("currentPodHash", ""),
            "stableRS": st.get("stableRS", ""),
            "abort": bool(st.get("abort")),
            "pauseConditions": st.get("pauseConditions") or [],
            "availableReplicas": int(st.get("availableReplicas", 0) or 0),
            "blueGreen": {
                "activeSelector": (st.get("blueGreen") or {}).get("activeSelector", ""),
                "previewSelector": (st.get("blueGreen") or {}).get("previewSelector", ""),
            },
        },
        "revisions": _revisions(cluster, name, st),
        "analysisRuns": _runs(cluster, name),
        "events": [],
    }


def _patch_status(cluster: KubeCluster, name: str, what: str, body: dict[str, Any]) -> None:
    cluster._call(
        f"{what} Rollout {name}",
        cluster._custom.patch_namespaced_custom_object_status,
        GROUP, VERSION, cluster.namespace, PLURAL, name, body,
    )  # fmt: skip


def _set_image(cluster: KubeCluster, name: str, body: Mapping[str, Any]) -> None:
    image = body.get("image")
    if not isinstance(image, str) or not image:
        raise BadInput('body must be {"image": "<repository>:<tag>", "env": {}, "labels": {}}')
    ro = _get(cluster, name)
    template = (ro.get("spec") or {}).get("template") or {}
    containers = [dict(c) for c in (template.get("spec") or {}).get("containers") or []]
    if not containers:
        raise BadInput(f"Rollout {name} has no container in spec.template")
    first = containers[0]  # `set image NAME IMAGE`: the first container, as `*=IMAGE` would
    first["image"] = image
    env = dict(body.get("env") or {})
    if env:
        kept = [e for e in first.get("env") or [] if e.get("name") not in env]
        first["env"] = kept + [{"name": k, "value": str(v)} for k, v in sorted(env.items())]
    patch: dict[str, Any] = {"spec": {"template": {"spec": {"containers": containers}}}}
    labels = dict(body.get("labels") or {})
    if labels:
        patch["spec"]["template"]["metadata"] = {"labels": labels}
    cluster._call(
        f"set the image of Rollout {name}",
        cluster._custom.patch_namespaced_custom_object,
        GROUP, VERSION, cluster.namespace, PLURAL, name, patch,
    )  # fmt: skip


def rollout_action(
    cluster: KubeCluster, name: str, action: str, body: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """`image`, `promote` ({"full"}), `abort`, `retry`: the plugin's patch, then the Rollout."""
    body = body or {}
    if action == "image":
        _set_image(cluster, name, body)
    elif action == "promote":
        if body.get("full"):
            _patch_status(cluster, name, "promote", {"status": {"promoteFull": True}})
        else:
            cluster._call(
                f"unpause Rollout {name}",
                cluster._custom.patch_namespaced_custom_object,
                GROUP, VERSION, cluster.namespace, PLURAL, name, {"spec": {"paused": False}},
            )  # fmt: skip
            _patch_status(cluster, name, "promote", {"status": {"pauseConditions": None}})
    elif action in ("abort", "retry"):
        _patch_status(cluster, name, action, {"status": {"abort": action == "abort"}})
    else:
        raise BadInput(f"unknown action {action!r}")
    return rollout_doc(cluster, name)
