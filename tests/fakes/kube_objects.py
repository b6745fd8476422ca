"""FAKE Kubernetes API, part 1: the JSON of the objects, label selectors, patches.

Shapes are what a real API server answers (enough for the official client to deserialise into
its models, required fields included); only the fields the harness and chaosk8s/chaosistio
read are filled in.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from harness.contracts.cluster import DeploymentStatus, Endpoint, PodPhase, PodStatus


def rfc3339(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def status_body(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def namespace(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "uid": _hash("ns" + name)},
        "status": {"phase": "Active"},
    }


def pod(p: PodStatus, *, deleted_at: float | None = None) -> dict[str, Any]:
    """A PodStatus record (local stack or test) as the API's Pod."""
    workload = p.deployment or p.service
    rs_hash = _hash(f"{workload}/{p.version}")
    labels = {**p.labels, "pod-template-hash": rs_hash}
    terminating = p.phase is PodPhase.TERMINATING or deleted_at is not None
    phase = {
        PodPhase.PENDING: "Pending",
        PodPhase.FAILED: "Failed",
    }.get(p.phase, "Running")  # Terminating and CrashLoopBackOff pods are Running in the API
    state: dict[str, Any] = {"running": {"startedAt": rfc3339(p.created_at)}}
    if p.phase is PodPhase.CRASH_LOOP:
        state = {"waiting": {"reason": "CrashLoopBackOff"}}
    meta: dict[str, Any] = {
        "name": p.name,
        "namespace": p.namespace,
        "uid": _hash(f"pod/{p.name}/{p.created_at}"),
        "creationTimestamp": rfc3339(p.created_at),
        "labels": labels,
        "ownerReferences": [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": f"{workload}-{rs_hash}",
                "uid": _hash("rs" + workload + rs_hash),
                "controller": True,
            }
        ],
    }
    if terminating:
        meta["deletionTimestamp"] = rfc3339(deleted_at or p.created_at)
        meta["deletionGracePeriodSeconds"] = 30
    ports = p.ports or ({"http": p.port} if p.port else {})
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {
            "containers": [
                {
                    "name": p.service or "app",
                    "image": f"harness/{p.service}:{p.version or 'latest'}",
                    "ports": [
                        {"containerPort": port, **({} if name.isdigit() else {"name": name})}
                        for name, port in ports.items()
                    ],
                }
            ],
            "serviceAccountName": p.service_account,
            "terminationGracePeriodSeconds": 30,
        },
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True" if p.ready else "False"}],
            "containerStatuses": [
                {
                    "name": p.service or "app",
                    "image": f"harness/{p.service}:{p.version or 'latest'}",
                    "imageID": "",
                    "ready": p.ready,
                    "restartCount": p.restarts,
                    "state": state,
                }
            ],
        },
    }


def deployment(d: DeploymentStatus, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    labels = dict(labels or {"app": d.name})
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": d.name,
            "namespace": d.namespace,
            "uid": _hash("deploy" + d.name),
            "labels": labels,
            "generation": 1,
        },
        "spec": {
            "replicas": d.replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}},
        },
        "status": {
            "replicas": d.replicas,
            "readyReplicas": d.ready_replicas,
            "availableReplicas": d.ready_replicas,
            "observedGeneration": 1,
        },
    }


def scale(d: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v1",
        "kind": "Scale",
        "metadata": {"name": d["metadata"]["name"], "namespace": d["metadata"]["namespace"]},
        "spec": {"replicas": d["spec"]["replicas"]},
        "status": {"replicas": d["status"].get("replicas", 0)},
    }


def endpoints(eps: list[Endpoint], ns: str) -> list[dict[str, Any]]:
    """Endpoint records grouped into one Endpoints object per Service (a subset per port)."""
    by_service: dict[str, dict[int, dict[str, list[dict[str, Any]]]]] = {}
    for e in eps:
        subset = by_service.setdefault(e.service, {}).setdefault(
            e.port, {"addresses": [], "notReadyAddresses": []}
        )
        ref = {"kind": "Pod", "name": e.pod, "namespace": ns}
        subset["addresses" if e.ready else "notReadyAddresses"].append(
            {"ip": e.ip, "targetRef": ref}
        )
    return [
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": service, "namespace": ns},
            "subsets": [{**lists, "ports": [{"port": port}]} for port, lists in ports.items()],
        }
        for service, ports in sorted(by_service.items())
    ]


# ---- selectors ----------------------------------------------------------------------------

_TERM = re.compile(
    r"^\s*(!)?\s*([\w./-]+)\s*(?:(==|=|!=)\s*([\w./-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$"
)


def _split(selector: str) -> list[str]:
    """Split on commas outside parentheses (`app in (a,b),version=v1`)."""
    terms, depth, cur = [], 0, ""
    for ch in selector:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            terms.append(cur)
            cur = ""
        else:
            cur += ch
    return [t for t in [*terms, cur] if t.strip()]


def matches_labels(selector: str | None, labels: Mapping[str, str]) -> bool:
    for term in _split(selector or ""):
        m = _TERM.match(term)
        if not m:
            raise ValueError(f"unable to parse requirement: {term!r}")
        neg, key, op, value, set_op, values = m.groups()
        if set_op:
            choices = {v.strip() for v in values.split(",")}
            ok = labels.get(key) in choices
            if (set_op == "in") != ok:
                return False
        elif op in ("=", "=="):
            if labels.get(key) != value:
                return False
        elif op == "!=":
            if labels.get(key) == value:
                return False
        elif (key in labels) == bool(neg):
            return False
    return True


def matches_fields(selector: str | None, obj: Mapping[str, Any]) -> bool:
    for term in _split(selector or ""):
        key, _, value = term.partition("=")
        node: Any = obj
        for part in key.strip().split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if str(node) != value.strip().lstrip("="):
            return False
    return True


# ---- patches --------------------------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (what chaosistio sends; strategic merge falls back to it)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def json_patch(target: Any, ops: list[dict[str, Any]]) -> Any:
    """RFC 6902 JSON patch: add, replace, remove, test."""
    doc = copy.deepcopy(target)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent[p]
        last = parts[-1]
        kind = op["op"]
        if isinstance(parent, list):
            index = len(parent) if last == "-" else int(last)
            if kind == "add":
                parent.insert(index, op["value"])
            elif kind == "replace":
                parent[index] = op["value"]
            elif kind == "remove":
                del parent[index]
            elif kind == "test" and parent[index] != op["value"]:
                raise ValueError(f"test failed at {op['path']}")
        elif kind in ("add", "replace"):
            parent[last] = op["value"]
        elif kind == "remove":
            del parent[last]
        elif kind == "test" and parent.get(last) != op["value"]:
            raise ValueError(f"test failed at {op['path']}")
    return doc
