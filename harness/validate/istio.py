"""Istio lints for `harness validate`: dead rules, faults that never fire, missing subsets.

Rules after a match-less rule, and rules whose every match an earlier rule already has, are
what Istio's own validation reports as warnings (`analyzeUnreachableHTTPRules` in
`pkg/config/validation/validation.go`): the object is admitted. Only a rule with no `match` at
all is a catch-all there: a match on `port`, `gateways`, `sourceLabels` or `sourceNamespace`
alone selects proxies, it is not a wildcard. A fault in an unreachable rule never fires, which
the severity policy makes an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from harness.manifests import Document
from harness.mesh import istio_model as im
from harness.mesh.config import MeshConfig
from harness.mesh.findings import Finding, Severity

E, W, HINT = Severity.ERROR, Severity.WARNING, Severity.INFO


def _label(rule: im.HTTPRoute, index: int) -> str:
    return f'"{rule.name}"' if rule.name else f"#{index}"


def unreachable(http: list[im.HTTPRoute]) -> list[tuple[int, str]]:
    """(rule index, Istio's warning text) for each rule that no request can reach."""
    out: list[tuple[int, str]] = []
    seen: set[str] = set()
    empty_at = -1
    for index, rule in enumerate(http):
        label = _label(rule, index)
        if not rule.match:
            if empty_at >= 0:
                reason = "only the last rule can have no matches"
                out.append((index, f"virtualService rule {label} not used ({reason})"))
            empty_at = index
            continue
        if empty_at >= 0:
            reason = "route without matches defined before"
            out.append((index, f"virtualService rule {label} not used ({reason})"))
            continue
        keys = [
            json.dumps(m.model_dump(by_alias=True, exclude_defaults=True), sort_keys=True)
            for m in rule.match
        ]
        if all(k in seen for k in keys):
            reason = "all matches used by prior rules"
            out.append((index, f"virtualService rule {label} not used ({reason})"))
        seen.update(keys)
    return out


def _subsets(documents: list[Document]) -> dict[str, set[str]]:
    # From the raw documents, so a DestinationRule with a schema error still names its subsets.
    subsets: dict[str, set[str]] = {}
    for doc in documents:
        spec = doc.body.get("spec")
        if doc.kind == "DestinationRule" and isinstance(spec, dict) and spec.get("host"):
            names = {str(s.get("name")) for s in spec.get("subsets") or [] if isinstance(s, dict)}
            subsets.setdefault(str(spec["host"]).split(".")[0], set()).update(names)
    return subsets


def virtual_service_findings(cfg: MeshConfig) -> Iterable[Finding]:
    subsets = _subsets(cfg.documents)
    for vs in cfg.virtual_services:
        o = cfg.origin(vs)
        for index, message in unreachable(vs.spec.http):
            if vs.spec.http[index].fault:
                yield Finding(
                    E, o.file, o.ref, f"spec.http[{index}]", message + " and its fault never fires",
                    "merge it into an earlier rule or move the catch-all rule last",
                )  # fmt: skip
            else:
                yield Finding(
                    W, o.file, o.ref, f"spec.http[{index}]", message,
                    "remove the rule, or move it before the rule that takes its requests",
                )  # fmt: skip
        for i, rule in enumerate(vs.spec.http):
            yield from _fault(o.file, o.ref, f"spec.http[{i}].fault", rule.fault)
            dests = rule.route or []
            if len(dests) > 1 and sum(d.weight for d in dests) == 0:
                yield Finding(
                    E, o.file, o.ref, f"spec.http[{i}].route", "total destination weight = 0",
                    "give the destinations weights",
                )  # fmt: skip
            for j, d in enumerate(dests):
                subset = d.destination.subset
                host = d.destination.host.split(".")[0]
                where = f"spec.http[{i}].route[{j}].destination.subset"
                if not subset:
                    continue
                if host not in subsets:
                    yield Finding(
                        HINT, o.file, o.ref, where,
                        f"subset {subset!r} not checked: no DestinationRule for {host} in the "
                        "files given",
                        "validate it together with the file of that DestinationRule",
                    )  # fmt: skip
                elif subset not in subsets[host]:
                    yield Finding(
                        E, o.file, o.ref, where, f"subset {subset!r} is not defined for {host}",
                        f"add it to the DestinationRule of {host}",
                    )  # fmt: skip


def _fault(file: str, ref: str, where: str, f: im.HTTPFaultInjection | None) -> Iterable[Finding]:
    if f is None:
        return
    if f.delay is None and f.abort is None:
        yield Finding(
            E, file, ref, where, "fault has neither delay nor abort",
            "add delay and/or abort, or remove the fault",
        )  # fmt: skip
    if f.delay is not None:
        if f.delay.percentage is None and f.delay.percent is None:
            yield Finding(
                E, file, ref, f"{where}.delay.percentage",
                "no percentage: the delay is injected into 0% of requests",
                "set delay.percentage.value (e.g. 100)",
            )  # fmt: skip
        elif f.delay.percentage is None:
            yield Finding(
                W, file, ref, f"{where}.delay.percent", "deprecated integer field",
                "use delay.percentage.value",
            )  # fmt: skip
        if f.delay.exponential_delay is not None:
            yield Finding(
                E, file, ref, f"{where}.delay.exponentialDelay",
                "not supported by Istio: the delay is dropped", "use fixedDelay",
            )  # fmt: skip
        if f.delay.fixed_delay is None and f.delay.exponential_delay is None:
            yield Finding(
                E, file, ref, f"{where}.delay.fixedDelay", "delay without fixedDelay",
                "set fixedDelay (e.g. 2s)",
            )  # fmt: skip
    if f.abort is not None:
        if f.abort.percentage is None:
            yield Finding(
                E, file, ref, f"{where}.abort.percentage",
                "no percentage: the abort fires for 0% of requests",
                "set abort.percentage.value (e.g. 100)",
            )  # fmt: skip
        elif not (f.abort.percentage.value == 0 or 0.0001 <= f.abort.percentage.value <= 100):
            yield Finding(
                E, file, ref, f"{where}.abort.percentage.value",
                "must be 0 or within [0.0001, 100]", "use a percentage",
            )  # fmt: skip
        status = f.abort.http_status
        if status is not None and not 200 <= status <= 599:
            yield Finding(
                E, file, ref, f"{where}.abort.httpStatus", "must be within 200..599",
                "use an HTTP status code",
            )  # fmt: skip


def destination_rule_findings(cfg: MeshConfig) -> Iterable[Finding]:
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
                    W, o.file, o.ref, f"{where}.outlierDetection.consecutiveErrors",
                    "deprecated and ignored since Istio 1.7",
                    "use consecutive5xxErrors or consecutiveGatewayErrors",
                )  # fmt: skip


def authorization_findings(cfg: MeshConfig) -> Iterable[Finding]:
    strict_off = any(
        pa.spec.mtls and pa.spec.mtls.mode == "DISABLE" for pa in cfg.peer_authentications
    )
    for p in cfg.authorization_policies:
        o = cfg.origin(p)
        if p.spec.action == "ALLOW" and not p.spec.rules:
            yield Finding(
                W, o.file, o.ref, "spec.rules",
                "an ALLOW policy without rules denies every request",
                "add rules, or delete the policy if that is not intended",
            )  # fmt: skip
        for i, r in enumerate(p.spec.rules or []):
            for j, f in enumerate(r.from_ or []):
                if strict_off and (f.source.principals or f.source.namespaces):
                    yield Finding(
                        W, o.file, o.ref, f"spec.rules[{i}].from[{j}].source",
                        "principals/namespaces need mTLS, which is disabled",
                        "enable mTLS (PeerAuthentication STRICT)",
                    )  # fmt: skip
