"""Kong declarative config lints for `harness validate` (ConfigMap `kong.yml` or a bare file).

A bare `kong.yml` (what deck and Kong DB-less read: `_format_version` and entity lists, no
`apiVersion`) is linted like one in a ConfigMap. A schema error drops only the entity it is in,
so the other entities are still checked. A bundled Kong plugin that the local gateway does not
reproduce is valid configuration: it is reported as info, and `harness up` refuses it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from harness.manifests import Document
from harness.mesh import kong_model as km
from harness.mesh.config import KONG_KEYS, walk_plugins
from harness.mesh.findings import Finding, Severity, schema_findings
from harness.validate.policy import policy_severity

E, W, HINT = Severity.ERROR, Severity.WARNING, Severity.INFO

# kong/constants.lua BUNDLED_PLUGINS (Kong OSS 3.x): Kong loads these without configuration.
BUNDLED = frozenset(
    {
        "acl",
        "acme",
        "ai-prompt-decorator",
        "ai-prompt-guard",
        "ai-prompt-template",
        "ai-proxy",
        "ai-request-transformer",
        "ai-response-transformer",
        "aws-lambda",
        "azure-functions",
        "basic-auth",
        "bot-detection",
        "correlation-id",
        "cors",
        "datadog",
        "file-log",
        "grpc-gateway",
        "grpc-web",
        "hmac-auth",
        "http-log",
        "ip-restriction",
        "jwt",
        "key-auth",
        "ldap-auth",
        "loggly",
        "oauth2",
        "opentelemetry",
        "post-function",
        "pre-function",
        "prometheus",
        "proxy-cache",
        "rate-limiting",
        "redirect",
        "request-size-limiting",
        "request-termination",
        "request-transformer",
        "response-ratelimiting",
        "response-transformer",
        "session",
        "standard-webhooks",
        "statsd",
        "syslog",
        "tcp-log",
        "udp-log",
        "zipkin",
    }
)
_ENTITY_KEYS = {"services", "routes", "consumers", "plugins", "upstreams", "certificates"}


@dataclass(frozen=True)
class KongSource:
    """One declarative config: where it is and its parsed mapping (None when unreadable)."""

    file: str
    obj: str
    prefix: str  # field path of the config's root: "data.kong.yml", or "" for a bare file
    raw: dict[str, Any] | None


def is_bare_kong(doc: Document) -> bool:
    """A document that is a Kong declarative config itself, not a Kubernetes object."""
    body = doc.body
    if body.get("apiVersion") or body.get("kind"):
        return False
    return "_format_version" in body or bool(_ENTITY_KEYS & body.keys())


def _at(prefix: str, where: str) -> str:
    return f"{prefix}.{where}" if prefix else where


def sources(documents: Iterable[Document]) -> Iterable[tuple[KongSource, list[Finding]]]:
    for doc in documents:
        if is_bare_kong(doc):
            yield KongSource(doc.file, f"kong.yml#{doc.index}", "", doc.body), []
            continue
        data = doc.body.get("data")
        if doc.kind != "ConfigMap" or not isinstance(data, dict):
            continue
        for key in KONG_KEYS:
            if key not in data:
                continue
            prefix = f"data.{key}"
            try:
                raw = yaml.safe_load(str(data[key]))
            except yaml.YAMLError as exc:
                bad = Finding(E, doc.file, doc.ref, prefix, f"not valid YAML: {exc}", "fix it")
                yield KongSource(doc.file, doc.ref, prefix, None), [bad]
                continue
            if not isinstance(raw, dict):
                bad = Finding(
                    E, doc.file, doc.ref, prefix, "not a mapping",
                    "write a Kong declarative configuration",
                )  # fmt: skip
                yield KongSource(doc.file, doc.ref, prefix, None), [bad]
                continue
            yield KongSource(doc.file, doc.ref, prefix, raw), []


def _prune(raw: Any, loc: tuple[int | str, ...]) -> bool:
    """Drop what the error is about: the field when it is there, else its list element."""
    node = raw
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    if loc and isinstance(node, dict) and loc[-1] in node:
        del node[loc[-1]]
        return True
    last = max((i for i, part in enumerate(loc) if isinstance(part, int)), default=-1)
    if last < 0:
        return False
    node = raw
    for part in loc[:last]:
        node = node[part]
    del node[loc[last]]
    return True


def parse(src: KongSource) -> tuple[km.KongConfig | None, list[Finding]]:
    """One finding per schema error, and the config without what they are about.

    Pydantic reports every error of the file in one pass; the pruned config lets the plugin
    and credential lints run on the rest. (An entity dropped whole, e.g. for a missing name,
    shifts the indexes of the later entities of its list in those lints.)
    """
    assert src.raw is not None
    raw = copy.deepcopy(src.raw)
    findings: list[Finding] = []
    for _ in range(50):
        try:
            return km.KongConfig.model_validate(raw), findings
        except ValidationError as exc:
            if not findings:
                findings = [
                    Finding(f.severity, f.file, f.obj, f.field.removeprefix("$."), f.message, f.fix)
                    for f in schema_findings(exc, src.file, src.obj, src.prefix or "$")
                ]
            # longest paths first, so deleting one error's element keeps the others' paths
            locs = sorted((tuple(e["loc"]) for e in exc.errors()), key=len, reverse=True)
            if not _prune(raw, locs[0]):
                return None, findings
    return None, findings


def _plugin_findings(src: KongSource, at: str, p: km.Plugin) -> Iterable[Finding]:
    if p.name not in km.PLUGIN_CONFIGS:
        if p.name in BUNDLED:
            yield Finding(
                HINT, src.file, src.obj, f"{at}.name",
                f"plugin '{p.name}' is valid (bundled with Kong) but not reproduced by the "
                "local gateway: `harness up` refuses this config",
                "keep it for the cluster; for a local run use a config without it",
            )  # fmt: skip
            return
        fix = (
            "there is no request-id plugin in Kong OSS; use `correlation-id` (or rely on "
            "Kong's own X-Kong-Request-Id header)"
            if p.name == "request-id"
            else "use a plugin bundled with Kong, or add it to the `plugins` property of kong.conf"
        )
        yield Finding(E, src.file, src.obj, f"{at}.name", f"plugin '{p.name}' not enabled", fix)
        return
    try:
        km.PLUGIN_CONFIGS[p.name].model_validate(p.config)
    except ValidationError as exc:
        yield from schema_findings(exc, src.file, src.obj, f"{at}.config")
        return
    yield from _plugin_traps(src, at, p)


def _plugin_traps(src: KongSource, at: str, p: km.Plugin) -> Iterable[Finding]:
    file, ref = src.file, src.obj
    if p.name == "request-size-limiting":
        c = km.RequestSizeLimitingConfig.model_validate(p.config)
        if "size_unit" not in p.config:
            yield Finding(
                E if c.allowed_payload_size >= 1024 else W, file, ref, f"{at}.config.size_unit",
                f"unit defaults to megabytes (binary): allowed_payload_size "
                f"{c.allowed_payload_size} means {c.limit_bytes} bytes",
                "set size_unit explicitly (e.g. allowed_payload_size: 1 with "
                "size_unit: kilobytes for 1 KiB)",
            )  # fmt: skip
    elif p.name == "rate-limiting":
        for key in sorted(k for k in p.config if k.startswith("redis_")):
            yield Finding(
                W, file, ref, f"{at}.config.{key}",
                "deprecated since Kong 3.6 (still accepted)",
                f"use config.redis.{key.removeprefix('redis_')}",
            )  # fmt: skip
    elif p.name == "jwt":
        if "exp" not in km.JwtConfig.model_validate(p.config).claims_to_verify:
            yield Finding(
                W, file, ref, f"{at}.config.claims_to_verify",
                "exp is not checked: expired tokens and tokens without exp pass",
                "set claims_to_verify: [exp]",
            )  # fmt: skip
    elif p.name == "key-auth" and km.KeyAuthConfig.model_validate(p.config).key_in_query:
        yield Finding(
            W, file, ref, f"{at}.config.key_in_query",
            "keys are accepted in the query string (they land in access logs)",
            "set key_in_query: false",
        )  # fmt: skip


def _config_traps(src: KongSource, conf: km.KongConfig) -> Iterable[Finding]:
    file, ref = src.file, src.obj
    if conf.format_version != "3.0":
        yield Finding(
            W, file, ref, _at(src.prefix, "_format_version"),
            f"format {conf.format_version} is migrated on load (paths that are not "
            "plain become regexes)",
            'use _format_version: "3.0"',
        )  # fmt: skip
    for si, s in enumerate(conf.services):
        for ri, r in enumerate(s.routes):
            if "strip_path" not in r.model_fields_set and r.paths:
                yield Finding(
                    W, file, ref, _at(src.prefix, f"services[{si}].routes[{ri}].strip_path"),
                    f"defaults to true: {r.paths[0]}/x reaches the service as /x",
                    "set strip_path: false to keep the path",
                )  # fmt: skip
    literal = policy_severity(file)  # literal credentials: this repository's rule
    for ci, c in enumerate(conf.consumers):
        for ki, k in enumerate(c.keyauth_credentials):
            if not k.key.startswith("{vault://"):
                yield Finding(
                    literal, file, ref,
                    _at(src.prefix, f"consumers[{ci}].keyauth_credentials[{ki}].key"),
                    "a literal credential in the repository",
                    "reference a Secret: {vault://env/NAME}",
                )  # fmt: skip
        for ji, j in enumerate(c.jwt_secrets):
            if j.secret and not j.secret.startswith("{vault://"):
                yield Finding(
                    literal, file, ref,
                    _at(src.prefix, f"consumers[{ci}].jwt_secrets[{ji}].secret"),
                    "a literal secret in the repository", "reference a Secret: {vault://env/NAME}",
                )  # fmt: skip


def kong_findings(documents: Iterable[Document]) -> Iterable[Finding]:
    """Every finding for every Kong declarative config among `documents`."""
    for src, unreadable in sources(documents):
        yield from unreadable
        if src.raw is None:
            continue
        conf, found = parse(src)
        yield from found
        if conf is None:
            continue
        for where, plugin in walk_plugins(conf):
            yield from _plugin_findings(src, _at(src.prefix, where), plugin)
        yield from _config_traps(src, conf)
