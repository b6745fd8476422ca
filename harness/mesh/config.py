"""Loading the mesh and gateway configuration from `deploy/kubernetes/`.

`load_config(paths)` returns the Istio resources, the Kong declarative config found in a
ConfigMap (data key `kong.yml`/`kong.yaml`) and every schema finding. Kong `{vault://env/NAME}`
references are resolved by `SecretResolver`: the environment first (what Kong itself reads),
then the Secret that the Kong Deployment maps to that variable, read from the local target's
generated `<state>/secrets/<secret-name>/<key>` files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from harness.errors import ConfigError
from harness.manifests import Document, read_manifests
from harness.mesh import istio_model as im
from harness.mesh import kong_model as km
from harness.mesh.findings import Finding, Severity, schema_findings

KONG_KEYS = ("kong.yml", "kong.yaml")
VAULT_REF = re.compile(r"^\{vault://env/([A-Za-z0-9_\-]+)\}$")


@dataclass(frozen=True)
class Located:
    """A loaded object and where it came from (for findings)."""

    file: str
    ref: str


@dataclass
class MeshConfig:
    virtual_services: list[im.VirtualService] = field(default_factory=list)
    destination_rules: list[im.DestinationRule] = field(default_factory=list)
    authorization_policies: list[im.AuthorizationPolicy] = field(default_factory=list)
    peer_authentications: list[im.PeerAuthentication] = field(default_factory=list)
    kong: km.KongConfig | None = None
    kong_env: dict[str, tuple[str, str]] = field(default_factory=dict)  # ENV → (secret, key)
    where: dict[int, Located] = field(default_factory=dict)  # id(obj) → origin
    findings: list[Finding] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)

    def origin(self, obj: object) -> Located:
        return self.where.get(id(obj), Located("?", "?"))


def _istio(doc: Document, cfg: MeshConfig) -> None:
    model = im.SPEC_MODELS[doc.kind]
    meta = doc.body.get("metadata") or {}
    spec = doc.body.get("spec")
    if spec is None:
        spec = {}
    try:
        parsed = model.model_validate(spec)
    except ValidationError as exc:
        cfg.findings.extend(schema_findings(exc, doc.file, doc.ref, "spec", im.HINTS))
        return
    ns = str(meta.get("namespace", "default")) if isinstance(meta, dict) else "default"
    wrapper: BaseModel
    if doc.kind == "VirtualService":
        wrapper = im.VirtualService(name=doc.name, namespace=ns, spec=parsed)  # type: ignore[arg-type]  # spec model chosen by kind above
        cfg.virtual_services.append(wrapper)
    elif doc.kind == "DestinationRule":
        wrapper = im.DestinationRule(name=doc.name, namespace=ns, spec=parsed)  # type: ignore[arg-type]  # idem
        cfg.destination_rules.append(wrapper)
    elif doc.kind == "AuthorizationPolicy":
        wrapper = im.AuthorizationPolicy(name=doc.name, namespace=ns, spec=parsed)  # type: ignore[arg-type]  # idem
        cfg.authorization_policies.append(wrapper)
    else:
        wrapper = im.PeerAuthentication(name=doc.name, namespace=ns, spec=parsed)  # type: ignore[arg-type]  # idem
        cfg.peer_authentications.append(wrapper)
    cfg.where[id(wrapper)] = Located(doc.file, doc.ref)


def _kong_plugin_findings(plugin: km.Plugin, file: str, obj: str, where: str) -> list[Finding]:
    if plugin.name not in km.PLUGIN_CONFIGS:
        if plugin.name == "request-id":
            fix = (
                "there is no request-id plugin in Kong OSS; use `correlation-id` (or rely on "
                "Kong's own X-Kong-Request-Id header)"
            )
        elif plugin.name in km.KNOWN_NOT_EMULATED:
            fix = "this Kong plugin is not reproduced by the local gateway; remove it"
        else:
            fix = "remove it or use a bundled plugin name"
        return [
            Finding(
                Severity.ERROR,
                file,
                obj,
                f"{where}.name",
                f"plugin '{plugin.name}' not enabled",
                fix,
            )
        ]
    try:
        km.PLUGIN_CONFIGS[plugin.name].model_validate(plugin.config)
    except ValidationError as exc:
        return schema_findings(exc, file, obj, f"{where}.config")
    return []


def walk_plugins(conf: km.KongConfig) -> Iterable[tuple[str, km.Plugin]]:
    for i, p in enumerate(conf.plugins):
        yield f"plugins[{i}]", p
    for si, s in enumerate(conf.services):
        for i, p in enumerate(s.plugins):
            yield f"services[{si}].plugins[{i}]", p
        for ri, r in enumerate(s.routes):
            for i, p in enumerate(r.plugins):
                yield f"services[{si}].routes[{ri}].plugins[{i}]", p
    for ri, r in enumerate(conf.routes):
        for i, p in enumerate(r.plugins):
            yield f"routes[{ri}].plugins[{i}]", p
    for ci, c in enumerate(conf.consumers):
        for i, p in enumerate(c.plugins):
            yield f"consumers[{ci}].plugins[{i}]", p


def _kong(doc: Document, key: str, text: str, cfg: MeshConfig) -> None:
    prefix = f"data.{key}"
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        cfg.findings.append(
            Finding(
                Severity.ERROR,
                doc.file,
                doc.ref,
                prefix,
                f"not valid YAML: {exc}",
                "fix the YAML syntax",
            )
        )
        return
    if not isinstance(raw, dict):
        cfg.findings.append(
            Finding(
                Severity.ERROR,
                doc.file,
                doc.ref,
                prefix,
                "not a mapping",
                "write a Kong declarative configuration",
            )
        )
        return
    try:
        conf = km.KongConfig.model_validate(raw)
    except ValidationError as exc:
        cfg.findings.extend(schema_findings(exc, doc.file, doc.ref, prefix))
        return
    errors: list[Finding] = []
    for where, plugin in walk_plugins(conf):
        errors.extend(_kong_plugin_findings(plugin, doc.file, doc.ref, f"{prefix}.{where}"))
    cfg.findings.extend(errors)  # the proxy refuses to start on any of them (first_error)
    cfg.kong = conf
    cfg.where[id(conf)] = Located(doc.file, doc.ref)


def _kong_deployment_env(doc: Document, cfg: MeshConfig) -> None:
    """ENV → (Secret, key) from a Deployment that mounts the Kong config (the vault mapping)."""
    spec = ((doc.body.get("spec") or {}).get("template") or {}).get("spec") or {}
    for container in spec.get("containers") or []:
        for env in container.get("env") or []:
            ref = ((env.get("valueFrom") or {}).get("secretKeyRef")) or {}
            if ref.get("name") and ref.get("key"):
                cfg.kong_env[str(env["name"])] = (str(ref["name"]), str(ref["key"]))


def load_config(paths: Iterable[Path]) -> MeshConfig:
    """Every Istio resource and the Kong config under `paths`, with schema findings."""
    cfg = MeshConfig()
    for doc in read_manifests(paths):
        cfg.documents.append(doc)
        api = str(doc.body.get("apiVersion", ""))
        if doc.kind in im.SPEC_MODELS and api.startswith(im.ISTIO_GROUPS):
            _istio(doc, cfg)
        elif doc.kind == "ConfigMap":
            data = doc.body.get("data") or {}
            for key in KONG_KEYS:
                if isinstance(data, dict) and key in data:
                    _kong(doc, key, str(data[key]), cfg)
        elif doc.kind == "Deployment" and "kong" in doc.name:
            _kong_deployment_env(doc, cfg)
    return cfg


class SecretResolver:
    """Resolves Kong `{vault://env/NAME}` references without literals in the repository."""

    def __init__(
        self,
        env_map: dict[str, tuple[str, str]],
        secrets_dir: Path | None,
        environ: dict[str, str] | None = None,
    ) -> None:
        self._env_map = env_map
        self._dir = secrets_dir
        self._environ = dict(os.environ) if environ is None else environ

    def resolve(self, value: str, where: str) -> str:
        m = VAULT_REF.match(value)
        if not m:
            return value
        name = m.group(1).upper()
        if name in self._environ:
            return self._environ[name]
        if name in self._env_map and self._dir is not None:
            secret, key = self._env_map[name]
            path = self._dir / secret / key
            try:
                return path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    str(path),
                    where,
                    f"secret for {value} is missing",
                    "run `harness up` to generate the local secrets",
                ) from exc
        raise ConfigError(
            "kong config",
            where,
            f"cannot resolve {value}",
            f"set {name} or map it to a Secret in the Kong Deployment's env",
        )


def resolve_consumers(conf: km.KongConfig, resolver: SecretResolver) -> list[km.Consumer]:
    """Consumers with every vault reference in their credentials replaced by its value."""
    out: list[km.Consumer] = []
    for ci, c in enumerate(conf.consumers):
        keys = [
            k.model_copy(
                update={
                    "key": resolver.resolve(k.key, f"consumers[{ci}].keyauth_credentials[{i}].key")
                }
            )
            for i, k in enumerate(c.keyauth_credentials)
        ]
        jwts = []
        for i, j in enumerate(c.jwt_secrets):
            upd: dict[str, Any] = {}
            for attr in ("key", "secret", "rsa_public_key"):
                val = getattr(j, attr)
                if isinstance(val, str):
                    upd[attr] = resolver.resolve(val, f"consumers[{ci}].jwt_secrets[{i}].{attr}")
            jwts.append(j.model_copy(update=upd))
        out.append(c.model_copy(update={"keyauth_credentials": keys, "jwt_secrets": jwts}))
    return out
