"""Manifest lints that join workloads with the mesh config (`harness validate`).

Kubernetes-side checks (literal Secrets, probes, limits, Service selectors) and the joins that
catch traffic sent nowhere: a VirtualService or DestinationRule subset whose labels select no
pod template in the manifests answers 503 `no healthy upstream` on a cluster.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from harness.manifests import Document
from harness.mesh.config import MeshConfig
from harness.mesh.findings import Finding, Severity
from harness.validate.policy import policy_severity

E, W = Severity.ERROR, Severity.WARNING
WORKLOADS = ("Deployment", "Rollout", "StatefulSet", "DaemonSet")


def _templates(cfg: MeshConfig) -> list[tuple[Document, dict[str, str]]]:
    out = []
    for d in cfg.documents:
        if d.kind in WORKLOADS:
            spec = d.body.get("spec") or {}
            meta = ((spec.get("template") or {}).get("metadata")) or {}
            labels = meta.get("labels") or {}
            out.append((d, {str(k): str(v) for k, v in labels.items()}))
    return out


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(str(k)) == str(v) for k, v in selector.items())


def _containers(d: Document) -> Iterable[tuple[str, dict[str, Any]]]:
    spec = ((d.body.get("spec") or {}).get("template") or {}).get("spec") or {}
    for i, c in enumerate(spec.get("containers") or []):
        if isinstance(c, dict):
            yield f"spec.template.spec.containers[{i}]", c


def workload_findings(cfg: MeshConfig) -> Iterable[Finding]:
    templates = _templates(cfg)
    services: dict[str, dict[str, Any]] = {}
    for d in cfg.documents:
        if d.kind == "Secret" and (d.body.get("data") or d.body.get("stringData")):
            yield Finding(
                policy_severity(d.file),  # this repository's rule, not Kubernetes'
                d.file,
                d.ref,
                "data",
                "a Secret with values in the repository",
                "generate it (deploy/local/secrets.yaml) or create it out of band",
            )
        if d.kind == "Service":
            selector = (d.body.get("spec") or {}).get("selector") or {}
            services[d.name] = selector
            if selector and templates and not any(_selects(selector, t) for _, t in templates):
                yield Finding(
                    W,
                    d.file,
                    d.ref,
                    "spec.selector",
                    f"selects no pod template in these manifests: {selector}",
                    "match the labels of a Deployment's pod template",
                )
        if d.kind in WORKLOADS:
            for where, c in _containers(d):
                image = str(c.get("image", ""))
                if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
                    yield Finding(
                        W,
                        d.file,
                        d.ref,
                        f"{where}.image",
                        f"image {image!r} has no fixed tag",
                        "pin a version tag",
                    )
                if not c.get("readinessProbe"):
                    yield Finding(
                        W,
                        d.file,
                        d.ref,
                        f"{where}.readinessProbe",
                        "no readiness probe: traffic arrives before the app is ready",
                        "add a readinessProbe (e.g. GET /health/ready)",
                    )
                if not (c.get("resources") or {}).get("limits"):
                    yield Finding(
                        W,
                        d.file,
                        d.ref,
                        f"{where}.resources.limits",
                        "no resource limits",
                        "set cpu and memory limits",
                    )
    if services:
        yield from _unknown_hosts(cfg, services)
    if not templates:
        return  # mesh config checked alone: nothing to join with
    for dr in cfg.destination_rules:
        o = cfg.origin(dr)
        host = dr.spec.host.split(".")[0]
        base = services.get(host, {"app": host})
        for i, s in enumerate(dr.spec.subsets):
            wanted = {**{str(k): str(v) for k, v in base.items()}, **s.labels}
            if not any(_selects(wanted, t) for _, t in templates):
                yield Finding(
                    W,
                    o.file,
                    o.ref,
                    f"spec.subsets[{i}].labels",
                    f"subset {s.name!r} selects no pod template ({wanted}); traffic "
                    "routed to it gets 503 no healthy upstream",
                    f"add a Deployment with these labels or stop routing to {s.name}",
                )


def _unknown_hosts(cfg: MeshConfig, services: dict[str, dict[str, Any]]) -> Iterable[Finding]:
    """Gateway services and mesh hosts that name no Service in these manifests."""
    for vs in cfg.virtual_services:
        o = cfg.origin(vs)
        for i, host in enumerate(vs.spec.hosts):
            if "*" not in host and host.split(".")[0] not in services:
                yield Finding(
                    W,
                    o.file,
                    o.ref,
                    f"spec.hosts[{i}]",
                    f"no Service named {host.split('.')[0]!r} in these manifests",
                    "name an existing Service",
                )
    if cfg.kong is None:
        return
    o = cfg.origin(cfg.kong)
    for si, svc in enumerate(cfg.kong.services):
        host = (svc.url or "").split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        host = host or svc.host or ""
        if host and host.split(".")[0] not in services:
            yield Finding(
                W,
                o.file,
                o.ref,
                f"data.kong.yml.services[{si}].url",
                f"no Service named {host.split('.')[0]!r} in these manifests",
                "point the gateway at an existing Service",
            )
