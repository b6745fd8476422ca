"""Read the Kubernetes manifests the local target runs: Deployments, Services, ConfigMaps, Secrets.

Only the fields the local target honours are read; every other kind (Istio, Argo, HPA, Kong...)
is skipped here because other parts of the harness own it. A wrong field is one `ConfigError`
naming the file and the field path, never a traceback.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from harness.cluster.local.objects import (
    Container,
    ContainerPort,
    Deployment,
    EnvFrom,
    EnvVar,
    Manifests,
    ProbeSpec,
    Service,
    ServicePort,
)
from harness.errors import ConfigError
from harness.manifests import read_manifests

__all__ = ["load_manifests"]


class _Doc:
    """One YAML document with the path used in error messages."""

    def __init__(self, file: str, kind: str, name: str) -> None:
        self.file, self.kind, self.name = file, kind, name

    def error(self, path: str, problem: str, fix: str = "") -> ConfigError:
        return ConfigError(self.file, f"{self.kind} {self.name}: {path}", problem, fix)

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(path, f"must be a mapping, got {type(value).__name__}")
        return value

    def items(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(path, f"must be a list, got {type(value).__name__}")
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.error(path, "must be a non-empty string")
        return value

    def labels(self, value: Any, path: str) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.mapping(value, path).items()}

    def number(self, value: Any, path: str, *, minimum: float, integer: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(path, f"must be a number, got {value!r}")
        if integer and not isinstance(value, int):
            raise self.error(path, f"must be an integer, got {value!r}")
        if value < minimum:
            raise self.error(path, f"must be at least {minimum:g}, got {value!r}")
        return float(value)


def load_manifests(directory: Path) -> Manifests:
    """Every `*.yaml`/`*.yml` under `directory`, kinds the local target runs, validated."""
    if not directory.is_dir():
        raise ConfigError(str(directory), "", "manifest folder not found", "pass --manifests DIR")
    deployments: list[Deployment] = []
    services: list[Service] = []
    config_maps: dict[tuple[str, str], dict[str, str]] = {}
    secrets: dict[tuple[str, str], dict[str, str]] = {}
    seen: dict[tuple[str, str, str], str] = {}
    for document in read_manifests([directory], refuse_non_mappings=True):
        file, raw = document.file, document.body
        kind = str(raw.get("kind", ""))
        if kind not in {"Deployment", "Rollout", "Service", "ConfigMap", "Secret"}:
            continue
        meta = raw.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        doc = _Doc(file, kind, str(name or "?"))
        doc.string(name, "metadata.name")
        namespace = str(meta.get("namespace") or "default") if isinstance(meta, dict) else ""
        key = (kind, namespace, str(name))
        if key in seen:
            raise doc.error("metadata.name", f"defined twice (also in {seen[key]})")
        seen[key] = file
        if kind == "Deployment":
            deployments.append(_deployment(doc, raw, namespace))
        elif kind == "Rollout":
            deployments.append(_rollout(doc, raw, namespace))
        elif kind == "Service":
            services.append(_service(doc, raw, namespace))
        elif kind == "ConfigMap":
            data = doc.labels(raw.get("data"), "data")
            config_maps[(namespace, str(name))] = data
        else:
            secrets[(namespace, str(name))] = _secret_data(doc, raw)
    return Manifests(tuple(deployments), tuple(services), config_maps, secrets)


def _deployment(doc: _Doc, raw: dict[str, Any], namespace: str) -> Deployment:
    spec = doc.mapping(raw.get("spec"), "spec")
    replicas = spec.get("replicas", 1)
    replicas = int(doc.number(replicas, "spec.replicas", minimum=0, integer=True))
    selector = doc.labels(
        doc.mapping(spec.get("selector"), "spec.selector").get("matchLabels"),
        "spec.selector.matchLabels",
    )
    template = doc.mapping(spec.get("template"), "spec.template")
    tmeta = doc.mapping(template.get("metadata"), "spec.template.metadata")
    labels = doc.labels(tmeta.get("labels"), "spec.template.metadata.labels")
    if not selector:
        raise doc.error("spec.selector.matchLabels", "is required", "e.g. {app: <name>}")
    for k, v in selector.items():
        if labels.get(k) != v:
            raise doc.error(
                "spec.template.metadata.labels",
                f"does not match spec.selector.matchLabels {k}={v}",
                "make the template labels include the selector",
            )
    pspec = doc.mapping(template.get("spec"), "spec.template.spec")
    containers = doc.items(pspec.get("containers"), "spec.template.spec.containers")
    if not containers:
        raise doc.error("spec.template.spec.containers", "needs at least one container")
    container = _container(doc, containers[0], "spec.template.spec.containers[0]")
    grace = pspec.get("terminationGracePeriodSeconds")
    grace_s = None
    if grace is not None:
        grace_s = doc.number(grace, "spec.template.spec.terminationGracePeriodSeconds", minimum=0)
    digest = hashlib.sha256(json.dumps(template, sort_keys=True, default=str).encode())
    return Deployment(
        name=doc.name,
        namespace=namespace,
        replicas=replicas,
        selector=selector,
        labels=labels,
        annotations=doc.labels(tmeta.get("annotations"), "spec.template.metadata.annotations"),
        service_account=str(pspec.get("serviceAccountName") or "default"),
        container=container,
        termination_grace=grace_s,
        template_hash=_pod_hash(digest.hexdigest()),
        source=doc.file,
    )


def _rollout(doc: _Doc, raw: dict[str, Any], namespace: str) -> Deployment:
    """An Argo Rollout: its pod template as a Deployment's, plus the blue-green strategy."""
    from dataclasses import replace

    from harness.rollout.spec import SpecProblem, blue_green

    spec = doc.mapping(raw.get("spec"), "spec")
    if "workloadRef" in spec:
        raise doc.error("spec.workloadRef", "not supported locally", "inline spec.template")
    try:
        strategy = blue_green(spec.get("strategy"))
    except SpecProblem as exc:
        raise doc.error(exc.field, exc.problem) from None
    return replace(_deployment(doc, raw, namespace), rollout=strategy)


def _pod_hash(hexdigest: str) -> str:
    # Kubernetes' pod-template-hash alphabet has no vowels, so names never spell words.
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    number = int(hexdigest[:16], 16)
    out = []
    for _ in range(10):
        number, rest = divmod(number, len(alphabet))
        out.append(alphabet[rest])
    return "".join(out)


def _container(doc: _Doc, raw: Any, path: str) -> Container:
    c = doc.mapping(raw, path)
    name = doc.string(c.get("name"), f"{path}.name")
    image = doc.string(c.get("image"), f"{path}.image")
    ports = []
    for i, p in enumerate(doc.items(c.get("ports"), f"{path}.ports")):
        pm = doc.mapping(p, f"{path}.ports[{i}]")
        number = doc.number(
            pm.get("containerPort"), f"{path}.ports[{i}].containerPort", minimum=1, integer=True
        )
        ports.append(ContainerPort(str(pm.get("name") or ""), int(number)))
    env = tuple(
        _env(doc, e, f"{path}.env[{i}]")
        for i, e in enumerate(doc.items(c.get("env"), f"{path}.env"))
    )
    env_from = []
    for i, e in enumerate(doc.items(c.get("envFrom"), f"{path}.envFrom")):
        em = doc.mapping(e, f"{path}.envFrom[{i}]")
        for kind in ("configMap", "secret"):
            ref = em.get(f"{kind}Ref")
            if ref is not None:
                rm = doc.mapping(ref, f"{path}.envFrom[{i}].{kind}Ref")
                env_from.append(
                    EnvFrom(
                        kind,
                        doc.string(rm.get("name"), f"{path}.envFrom[{i}].{kind}Ref.name"),
                        str(em.get("prefix") or ""),
                        bool(rm.get("optional", False)),
                    )
                )
    return Container(
        name=name,
        image=image,
        ports=tuple(ports),
        env=env,
        env_from=tuple(env_from),
        startup=_probe(doc, c.get("startupProbe"), f"{path}.startupProbe", liveness_like=True),
        readiness=_probe(doc, c.get("readinessProbe"), f"{path}.readinessProbe"),
        liveness=_probe(doc, c.get("livenessProbe"), f"{path}.livenessProbe", liveness_like=True),
    )


def _env(doc: _Doc, raw: Any, path: str) -> EnvVar:
    e = doc.mapping(raw, path)
    name = doc.string(e.get("name"), f"{path}.name")
    if "valueFrom" not in e:
        value = e.get("value", "")
        return EnvVar(name, value="" if value is None else str(value))
    vf = doc.mapping(e.get("valueFrom"), f"{path}.valueFrom")
    for kind, attr in (("configMapKeyRef", "config_map_ref"), ("secretKeyRef", "secret_ref")):
        if kind in vf:
            ref = doc.mapping(vf[kind], f"{path}.valueFrom.{kind}")
            triple = (
                doc.string(ref.get("name"), f"{path}.valueFrom.{kind}.name"),
                doc.string(ref.get("key"), f"{path}.valueFrom.{kind}.key"),
                bool(ref.get("optional", False)),
            )
            if attr == "config_map_ref":
                return EnvVar(name, config_map_ref=triple)
            return EnvVar(name, secret_ref=triple)
    if "fieldRef" in vf:
        ref = doc.mapping(vf["fieldRef"], f"{path}.valueFrom.fieldRef")
        return EnvVar(
            name,
            field_path=doc.string(ref.get("fieldPath"), f"{path}.valueFrom.fieldRef.fieldPath"),
        )
    raise doc.error(f"{path}.valueFrom", "supports configMapKeyRef, secretKeyRef and fieldRef")


def _probe(doc: _Doc, raw: Any, path: str, *, liveness_like: bool = False) -> ProbeSpec | None:
    if raw is None:
        return None
    p = doc.mapping(raw, path)
    if "httpGet" in p:
        h = doc.mapping(p["httpGet"], f"{path}.httpGet")
        probe_path: str | None = str(h.get("path") or "/")
        port = h.get("port")
        headers = tuple(
            (
                str(doc.mapping(x, f"{path}.httpGet.httpHeaders[{i}]").get("name")),
                str(x.get("value")),
            )
            for i, x in enumerate(doc.items(h.get("httpHeaders"), f"{path}.httpGet.httpHeaders"))
        )
        if str(h.get("scheme", "HTTP")).upper() != "HTTP":
            raise doc.error(f"{path}.httpGet.scheme", "only HTTP is supported locally")
    elif "tcpSocket" in p:
        probe_path, headers = None, ()
        port = doc.mapping(p["tcpSocket"], f"{path}.tcpSocket").get("port")
    else:
        raise doc.error(
            path,
            "the local target runs httpGet and tcpSocket probes only",
            "use httpGet (exec and grpc probes are not supported locally)",
        )
    if port is None or (isinstance(port, str) and not port):
        raise doc.error(f"{path}.port", "is required")

    def num(key: str, default: float, minimum: float, integer: bool = False) -> float:
        return doc.number(p.get(key, default), f"{path}.{key}", minimum=minimum, integer=integer)

    success = int(num("successThreshold", 1, 1, True))
    if liveness_like and success != 1:
        raise doc.error(f"{path}.successThreshold", "must be 1 for liveness and startup probes")
    grace = p.get("terminationGracePeriodSeconds")
    return ProbeSpec(
        path=probe_path,
        port=str(port),
        initial_delay=num("initialDelaySeconds", 0, 0),
        period=num("periodSeconds", 10, 1),
        timeout=num("timeoutSeconds", 1, 1),
        success_threshold=success,
        failure_threshold=int(num("failureThreshold", 3, 1, True)),
        headers=headers,
        termination_grace=None
        if grace is None
        else doc.number(grace, f"{path}.terminationGracePeriodSeconds", minimum=0),
    )


def _service(doc: _Doc, raw: dict[str, Any], namespace: str) -> Service:
    spec = doc.mapping(raw.get("spec"), "spec")
    ports = []
    for i, p in enumerate(doc.items(spec.get("ports"), "spec.ports")):
        pm = doc.mapping(p, f"spec.ports[{i}]")
        number = int(doc.number(pm.get("port"), f"spec.ports[{i}].port", minimum=1, integer=True))
        target = pm.get("targetPort", number)
        ports.append(ServicePort(str(pm.get("name") or ""), number, str(target)))
    if not ports:
        raise doc.error("spec.ports", "needs at least one port")
    return Service(
        doc.name,
        namespace,
        doc.labels(spec.get("selector"), "spec.selector"),
        tuple(ports),
        doc.file,
    )


def _secret_data(doc: _Doc, raw: dict[str, Any]) -> dict[str, str]:
    out = doc.labels(raw.get("stringData"), "stringData")
    for key, value in doc.mapping(raw.get("data"), "data").items():
        try:
            out[str(key)] = base64.b64decode(str(value)).decode("utf-8")
        except ValueError as exc:
            raise doc.error(f"data.{key}", "is not valid base64") from exc
    return out
