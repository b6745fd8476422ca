"""`harness validate`: schema findings plus the traps that load fine but do not do what they say.

Severity: errors are configuration that a cluster rejects or that silently never takes effect
(unknown fields and plugins, rules after a catch-all, faults without a percentage, size limits
a thousand times larger than they look); warnings are deprecated or risky settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from harness.mesh import istio_model as im
from harness.mesh import kong_model as km
from harness.mesh.config import MeshConfig, load_config, walk_plugins
from harness.mesh.findings import Finding, Severity
from harness.mesh.routing import unreachable_rules
from harness.validate.analysis import analysis_findings
from harness.validate.autoscaling import autoscaler_findings
from harness.validate.workloads import workload_findings

E, W = Severity.ERROR, Severity.WARNING


def _vs(cfg: MeshConfig) -> Iterable[Finding]:
    # From the raw documents, so a DestinationRule with a schema error still names its subsets.
    subsets: dict[str, set[str]] = {}
    for doc in cfg.documents:
        spec = doc.body.get("spec")
        if doc.kind == "DestinationRule" and isinstance(spec, dict) and spec.get("host"):
            names = {str(s.get("name")) for s in spec.get("subsets") or [] if isinstance(s, dict)}
            subsets.setdefault(str(spec["host"]).split(".")[0], set()).update(names)
    for vs in cfg.virtual_services:
        o = cfg.origin(vs)
        for index, message in unreachable_rules(vs):
            fault = " and its fault never fires" if vs.spec.http[index].fault else ""
            yield Finding(
                E,
                o.file,
                o.ref,
                f"spec.http[{index}]",
                message + fault,
                "merge it into an earlier rule or move the catch-all rule last",
            )
        for i, rule in enumerate(vs.spec.http):
            yield from _fault(o.file, o.ref, f"spec.http[{i}].fault", rule.fault)
            dests = rule.route or []
            if len(dests) > 1 and sum(d.weight for d in dests) == 0:
                yield Finding(
                    E,
                    o.file,
                    o.ref,
                    f"spec.http[{i}].route",
                    "total destination weight = 0",
                    "give the destinations weights",
                )
            for j, d in enumerate(dests):
                host = d.destination.host.split(".")[0]
                if d.destination.subset and d.destination.subset not in subsets.get(host, set()):
                    yield Finding(
                        E,
                        o.file,
                        o.ref,
                        f"spec.http[{i}].route[{j}].destination.subset",
                        f"subset {d.destination.subset!r} is not defined for {host}",
                        f"add it to the DestinationRule of {host}",
                    )


def _fault(file: str, ref: str, where: str, f: im.HTTPFaultInjection | None) -> Iterable[Finding]:
    if f is None:
        return
    if f.delay is None and f.abort is None:
        yield Finding(
            E,
            file,
            ref,
            where,
            "fault has neither delay nor abort",
            "add delay and/or abort, or remove the fault",
        )
    if f.delay is not None:
        if f.delay.percentage is None and f.delay.percent is None:
            yield Finding(
                E,
                file,
                ref,
                f"{where}.delay.percentage",
                "no percentage: the delay is injected into 0% of requests",
                "set delay.percentage.value (e.g. 100)",
            )
        elif f.delay.percentage is None:
            yield Finding(
                W,
                file,
                ref,
                f"{where}.delay.percent",
                "deprecated integer field",
                "use delay.percentage.value",
            )
        if f.delay.exponential_delay is not None:
            yield Finding(
                E,
                file,
                ref,
                f"{where}.delay.exponentialDelay",
                "not supported by Istio: the delay is dropped",
                "use fixedDelay",
            )
        if f.delay.fixed_delay is None and f.delay.exponential_delay is None:
            yield Finding(
                E,
                file,
                ref,
                f"{where}.delay.fixedDelay",
                "delay without fixedDelay",
                "set fixedDelay (e.g. 2s)",
            )
    if f.abort is not None:
        if f.abort.percentage is None:
            yield Finding(
                E,
                file,
                ref,
                f"{where}.abort.percentage",
                "no percentage: the abort fires for 0% of requests",
                "set abort.percentage.value (e.g. 100)",
            )
        elif not (f.abort.percentage.value == 0 or 0.0001 <= f.abort.percentage.value <= 100):
            yield Finding(
                E,
                file,
                ref,
                f"{where}.abort.percentage.value",
                "must be 0 or within [0.0001, 100]",
                "use a percentage",
            )
        status = f.abort.http_status
        if status is not None and not 200 <= status <= 599:
            yield Finding(
                E,
                file,
                ref,
                f"{where}.abort.httpStatus",
                "must be within 200..599",
                "use an HTTP status code",
            )


def _dr(cfg: MeshConfig) -> Iterable[Finding]:
    for dr in cfg.destination_rules:
        o = cfg.origin(dr)
        policies = [("spec.trafficPolicy", dr.spec.traffic_policy)]
        policies += [
            (f"spec.subsets[{i}].trafficPolicy", s.traffic_policy)
            for i, s in enumerate(dr.spec.subsets)
        ]
        for where, tp in policies:
            od = tp.outlier_detection if tp else None
            if od is not None and od.consecutive_errors is not None:
                yield Finding(
                    W,
                    o.file,
                    o.ref,
                    f"{where}.outlierDetection.consecutiveErrors",
                    "deprecated and ignored since Istio 1.7",
                    "use consecutive5xxErrors or consecutiveGatewayErrors",
                )


def _authz(cfg: MeshConfig) -> Iterable[Finding]:
    strict_off = any(
        pa.spec.mtls and pa.spec.mtls.mode == "DISABLE" for pa in cfg.peer_authentications
    )
    for p in cfg.authorization_policies:
        o = cfg.origin(p)
        if p.spec.action == "ALLOW" and not p.spec.rules:
            yield Finding(
                W,
                o.file,
                o.ref,
                "spec.rules",
                "an ALLOW policy without rules denies every request",
                "add rules, or delete the policy if that is not intended",
            )
        for i, r in enumerate(p.spec.rules or []):
            for j, f in enumerate(r.from_ or []):
                if strict_off and (f.source.principals or f.source.namespaces):
                    yield Finding(
                        W,
                        o.file,
                        o.ref,
                        f"spec.rules[{i}].from[{j}].source",
                        "principals/namespaces need mTLS, which is disabled",
                        "enable mTLS (PeerAuthentication STRICT)",
                    )


def _kong(cfg: MeshConfig) -> Iterable[Finding]:
    conf = cfg.kong
    if conf is None:
        return
    o = cfg.origin(conf)
    base = "data.kong.yml"
    if conf.format_version != "3.0":
        yield Finding(
            W,
            o.file,
            o.ref,
            f"{base}._format_version",
            f"format {conf.format_version} is migrated on load (paths that are not "
            "plain become regexes)",
            'use _format_version: "3.0"',
        )
    for si, s in enumerate(conf.services):
        for ri, r in enumerate(s.routes):
            if "strip_path" not in r.model_fields_set and r.paths:
                yield Finding(
                    W,
                    o.file,
                    o.ref,
                    f"{base}.services[{si}].routes[{ri}].strip_path",
                    f"defaults to true: {r.paths[0]}/x reaches the service as /x",
                    "set strip_path: false to keep the path",
                )
    for where, p in walk_plugins(conf):
        at = f"{base}.{where}"
        try:
            yield from _plugin(o.file, o.ref, at, p)
        except ValueError:
            continue  # its schema error is already a finding


def _plugin(file: str, ref: str, at: str, p: km.Plugin) -> Iterable[Finding]:
    if p.name == "request-size-limiting":
        c = km.RequestSizeLimitingConfig.model_validate(p.config)
        if "size_unit" not in p.config:
            sev = E if c.allowed_payload_size >= 1024 else W
            yield Finding(
                sev,
                file,
                ref,
                f"{at}.config.size_unit",
                f"unit defaults to megabytes (binary): allowed_payload_size "
                f"{c.allowed_payload_size} means {c.limit_bytes} bytes",
                "set size_unit explicitly (e.g. allowed_payload_size: 1 with "
                "size_unit: kilobytes for 1 KiB)",
            )
    elif p.name == "jwt":
        j = km.JwtConfig.model_validate(p.config)
        if "exp" not in j.claims_to_verify:
            yield Finding(
                W,
                file,
                ref,
                f"{at}.config.claims_to_verify",
                "exp is not checked: expired tokens and tokens without exp pass",
                "set claims_to_verify: [exp]",
            )
    elif p.name == "key-auth":
        k = km.KeyAuthConfig.model_validate(p.config)
        if k.key_in_query:
            yield Finding(
                W,
                file,
                ref,
                f"{at}.config.key_in_query",
                "keys are accepted in the query string (they land in access logs)",
                "set key_in_query: false",
            )


def _consumers(cfg: MeshConfig) -> Iterable[Finding]:
    conf = cfg.kong
    if conf is None:
        return
    o = cfg.origin(conf)
    base = "data.kong.yml"
    for ci, c in enumerate(conf.consumers):
        for ki, k in enumerate(c.keyauth_credentials):
            if not k.key.startswith("{vault://"):
                yield Finding(
                    E,
                    o.file,
                    o.ref,
                    f"{base}.consumers[{ci}].keyauth_credentials[{ki}].key",
                    "a literal credential in the repository",
                    "reference a Secret: {vault://env/NAME}",
                )
        for ji, j in enumerate(c.jwt_secrets):
            if j.secret and not j.secret.startswith("{vault://"):
                yield Finding(
                    E,
                    o.file,
                    o.ref,
                    f"{base}.consumers[{ci}].jwt_secrets[{ji}].secret",
                    "a literal secret in the repository",
                    "reference a Secret: {vault://env/NAME}",
                )


def _documents(cfg: MeshConfig) -> Iterable[Finding]:
    for d in cfg.documents:
        for key in ("apiVersion", "kind"):
            if not d.body.get(key):
                yield Finding(E, d.file, d.ref, key, f"missing {key}", f"add {key}")
        meta = d.body.get("metadata")
        if not isinstance(meta, dict) or not meta.get("name"):
            yield Finding(E, d.file, d.ref, "metadata.name", "missing name", "name the object")


def lint(paths: list[Path]) -> list[Finding]:
    """Every finding for the manifests under `paths` (errors first, then by file)."""
    cfg = load_config(paths)
    found = list(cfg.findings)
    for check in (_documents, _vs, _dr, _authz, _kong, _consumers, workload_findings):
        found.extend(check(cfg))
    found.extend(analysis_findings(cfg.documents))
    found.extend(autoscaler_findings(cfg.documents))
    rank = {E: 0, W: 1, Severity.INFO: 2}
    return sorted(found, key=lambda f: (rank[f.severity], f.file, f.obj, f.field))
