"""Istio AuthorizationPolicy evaluation as a pure function (docs/parity.md, "Istio (mesh)").

Order: any matching DENY → deny; no ALLOW policy → allow; a matching ALLOW → allow; else deny
(403 `RBAC: access denied`). The caller's principal comes from the listener it called (one
listener per caller and destination), standing in for the mTLS peer certificate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from harness.mesh import istio_model as im

DENY_BODY = b"RBAC: access denied"


@dataclass(frozen=True)
class Caller:
    """The peer identity as mTLS would give it."""

    principal: str  # cluster.local/ns/<ns>/sa/<sa>; "" for a plaintext caller
    namespace: str
    ip: str = "127.0.0.1"

    @classmethod
    def of(cls, service_account: str, namespace: str = "default") -> Caller:
        return cls(f"cluster.local/ns/{namespace}/sa/{service_account}", namespace)


@dataclass(frozen=True)
class Target:
    method: str
    path: str
    host: str
    port: int
    headers: Mapping[str, str]


def value_matches(pattern: str, value: str | None) -> bool:
    """Istio string rules: exact, `abc*` prefix, `*abc` suffix, `*` any non-empty value."""
    if value is None or value == "":
        return False
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    return value == pattern


def _field(
    values: Sequence[str] | None, not_values: Sequence[str] | None, value: str | None
) -> bool:
    if values is not None and not any(value_matches(p, value) for p in values):
        return False
    return not (not_values is not None and any(value_matches(p, value) for p in not_values))


def _sa_value(caller: Caller) -> str:
    # serviceAccounts entries are "<ns>/<sa>" (or a bare name in the policy's namespace).
    parts = caller.principal.split("/")
    return f"{parts[2]}/{parts[4]}" if len(parts) == 5 else ""


def _source(s: im.Source, caller: Caller, policy_ns: str) -> bool:
    if s.request_principals is not None:  # needs RequestAuthentication: none locally
        return False
    sa = _sa_value(caller)
    accounts = (
        [a if "/" in a else f"{policy_ns}/{a}" for a in s.service_accounts]
        if s.service_accounts is not None
        else None
    )
    not_accounts = (
        [a if "/" in a else f"{policy_ns}/{a}" for a in s.not_service_accounts]
        if s.not_service_accounts is not None
        else None
    )
    return (
        _field(s.principals, s.not_principals, caller.principal or None)
        and _field(s.namespaces, s.not_namespaces, caller.namespace if caller.principal else None)
        and _field(accounts, not_accounts, sa or None)
        and _ip(s.ip_blocks, s.not_ip_blocks, caller.ip)
        and _ip(s.remote_ip_blocks, s.not_remote_ip_blocks, caller.ip)
    )


def _ip(blocks: Sequence[str] | None, not_blocks: Sequence[str] | None, ip: str) -> bool:
    if blocks is None and not_blocks is None:
        return True
    import ipaddress

    addr = ipaddress.ip_address(ip)

    def hit(items: Sequence[str]) -> bool:
        return any(addr in ipaddress.ip_network(b, strict=False) for b in items)

    if blocks is not None and not hit(blocks):
        return False
    return not (not_blocks is not None and hit(not_blocks))


def _path_matches(pattern: str, path: str) -> bool:
    # `/api/*` is a prefix rule: it matches `/api/` and `/api/x`, never `/api`.
    return value_matches(pattern, path)


def _operation(o: im.Operation, t: Target) -> bool:
    path = t.path.split("?", 1)[0]
    if o.paths is not None and not any(_path_matches(p, path) for p in o.paths):
        return False
    if o.not_paths is not None and any(_path_matches(p, path) for p in o.not_paths):
        return False
    return (
        _field(o.methods, o.not_methods, t.method)
        and _field(o.hosts, o.not_hosts, t.host)
        and _field(o.ports, o.not_ports, str(t.port))
    )


def _condition(c: im.Condition, caller: Caller, t: Target) -> bool:
    key = c.key
    value: str | None
    if key.startswith("request.headers[") and key.endswith("]"):
        value = t.headers.get(key[len("request.headers[") : -1].lower())
    elif key == "source.principal":
        value = caller.principal or None
    elif key == "source.namespace":
        value = caller.namespace if caller.principal else None
    elif key in ("source.ip", "remote.ip"):
        value = caller.ip
    elif key == "destination.port":
        value = str(t.port)
    else:  # request.auth.* and the rest need attributes the local mesh does not have
        value = None
    return _field(c.values, c.not_values, value)


def rule_matches(rule: im.Rule, caller: Caller, t: Target, policy_ns: str) -> bool:
    """(any from) AND (any to) AND (all when); absent parts match."""
    if rule.from_ is not None and not any(_source(f.source, caller, policy_ns) for f in rule.from_):
        return False
    if rule.to is not None and not any(_operation(x.operation, t) for x in rule.to):
        return False
    return all(_condition(c, caller, t) for c in rule.when or [])


def policy_matches(p: im.AuthorizationPolicy, caller: Caller, t: Target) -> bool:
    return any(rule_matches(r, caller, t, p.namespace) for r in p.spec.rules or [])


def applies_to(p: im.AuthorizationPolicy, labels: Mapping[str, str], namespace: str) -> bool:
    """Selector match in the policy's namespace; in istio-system it is mesh-wide."""
    if p.namespace not in (namespace, "istio-system"):
        return False
    if p.spec.selector is None:
        return True
    return all(labels.get(k) == v for k, v in p.spec.selector.match_labels.items())


def allowed(policies: Iterable[im.AuthorizationPolicy], caller: Caller, t: Target) -> bool:
    """Istio's decision for one request, given the policies that apply to the workload."""
    allow = [p for p in policies if p.spec.action == "ALLOW"]
    deny = [p for p in policies if p.spec.action == "DENY"]
    if any(policy_matches(p, caller, t) for p in deny):
        return False
    if not allow:
        return True
    return any(policy_matches(p, caller, t) for p in allow)
