"""The mesh data plane: one request from a caller identity to a destination service.

Client-sidecar work (fault, route, weights, subset, connection pool, load balancing, retries,
timeouts, outlier detection) and server-sidecar work (authorization) happen in one hop, and
both sidecars' metrics are recorded: `reporter="source"` once per request, `reporter=
"destination"` once per attempt that reached the service.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import deque
from dataclasses import dataclass, field

from harness.mesh import authz, routing
from harness.mesh import istio_model as im
from harness.mesh.config import MeshConfig
from harness.mesh.endpoints import Endpoint
from harness.mesh.faults import Fault
from harness.mesh.http1 import Pool, Request, Response, UpstreamError, serialize_request
from harness.mesh.metrics import ISTIO_LABELS, Registry, render_labels
from harness.mesh.outlier import OutlierDetector, OutlierSettings, PoolLimits

FAULT_BODY = b"fault filter abort"
UH_BODY = b"no healthy upstream"
UO_BODY = b"upstream connect error or disconnect/reset before headers. reset reason: overflow"
UF_BODY = (
    b"upstream connect error or disconnect/reset before headers. reset reason: connection failure"
)
UC_BODY = (
    b"upstream connect error or disconnect/reset before headers. "
    b"reset reason: connection termination"
)
UT_BODY = b"upstream request timeout"
TEXT = [(b"content-type", b"text/plain")]


@dataclass(frozen=True)
class Caller:
    """The calling workload (a listener's source, or the gateway)."""

    workload: str
    service_account: str
    labels: tuple[tuple[str, str], ...]
    namespace: str = "default"

    @property
    def principal(self) -> str:
        return f"cluster.local/ns/{self.namespace}/sa/{self.service_account}"


@dataclass
class _Cluster:
    service: str
    subset: str | None
    labels: dict[str, str]
    limits: PoolLimits
    outlier: OutlierDetector | None
    hosts: list[Endpoint] = field(default_factory=list)
    active_by_host: dict[str, int] = field(default_factory=dict)
    active: int = 0
    busy: int = 0
    pending: int = 0
    retries: int = 0
    waiters: deque[asyncio.Future[None]] = field(default_factory=deque)


@dataclass(frozen=True)
class _Rule:
    rule: im.HTTPRoute | None
    fault: routing.FaultSpec | None
    retry: routing.RetryPolicy
    timeout_s: float | None


def _merge(top: im.TrafficPolicy | None, sub: im.TrafficPolicy | None) -> im.TrafficPolicy | None:
    """A subset's traffic policy replaces the top-level one field by field (Istio merge)."""
    if sub is None:
        return top
    if top is None:
        return sub
    upd = {
        k: getattr(sub, k)
        for k in ("load_balancer", "connection_pool", "outlier_detection", "tls")
        if getattr(sub, k) is not None
    }
    return top.model_copy(update=upd)


def short_host(host: str) -> str:
    return host.split(".", 1)[0]


class Mesh:
    def __init__(
        self,
        cfg: MeshConfig,
        registry: Registry,
        pool: Pool,
        namespace: str = "default",
        rng: random.Random | None = None,
    ) -> None:
        self.cfg = cfg
        self.metrics = registry
        self.pool = pool
        self.namespace = namespace
        self.rng = rng or random.Random()
        self.faults: list[Fault] = []
        self._vs = {short_host(h): vs for vs in cfg.virtual_services for h in vs.spec.hosts}
        self._dr = {short_host(dr.spec.host): dr for dr in cfg.destination_rules}
        self._clusters: dict[tuple[str, str | None], _Cluster] = {}
        self._endpoints: list[Endpoint] = []
        self._labels: dict[tuple[object, ...], str] = {}
        self._mtls = (
            "mutual_tls"
            if not any(
                pa.spec.mtls and pa.spec.mtls.mode == "DISABLE" for pa in cfg.peer_authentications
            )
            else "none"
        )
        self._rules: dict[tuple[str, int], _Rule] = {}

    # --- state fed from outside ---------------------------------------------------------

    def set_endpoints(self, endpoints: list[Endpoint]) -> None:
        self._endpoints = [e for e in endpoints if e.ready]
        for c in self._clusters.values():
            self._fill(c)

    def _fill(self, c: _Cluster) -> None:
        c.hosts = [e for e in self._endpoints if e.service == c.service and e.has_labels(c.labels)]
        if c.outlier is not None:
            c.outlier.set_hosts([e.key for e in c.hosts])

    def set_faults(self, faults: list[Fault]) -> None:
        self.faults = list(faults)

    # --- config lookups -------------------------------------------------------------------

    def _cluster(self, service: str, subset: str | None) -> _Cluster:
        c = self._clusters.get((service, subset))
        if c is not None:
            return c
        dr = self._dr.get(service)
        labels: dict[str, str] = {}
        policy = dr.spec.traffic_policy if dr else None
        if dr is not None and subset is not None:
            for s in dr.spec.subsets:
                if s.name == subset:
                    labels = dict(s.labels)
                    policy = _merge(policy, s.traffic_policy)
        od = policy.outlier_detection if policy else None
        c = _Cluster(
            service,
            subset,
            labels,
            PoolLimits.from_istio(policy.connection_pool if policy else None),
            OutlierDetector(OutlierSettings.from_istio(od)) if od else None,
        )
        self._clusters[(service, subset)] = c
        self._fill(c)
        return c

    def _rule(self, service: str, index: int, rule: im.HTTPRoute | None) -> _Rule:
        r = self._rules.get((service, index))
        if r is None:
            if rule is None:
                r = _Rule(None, None, routing.DEFAULT_RETRY, None)
            else:
                timeout = im.parse_duration(rule.timeout) if rule.timeout else None
                r = _Rule(
                    rule,
                    routing.fault_spec(rule.fault),
                    routing.retry_policy(rule.retries),
                    timeout if timeout else None,
                )
            self._rules[(service, index)] = r
        return r

    # --- metrics --------------------------------------------------------------------------

    def _record(
        self,
        reporter: str,
        caller: Caller,
        service: str,
        ep: Endpoint | None,
        code: int,
        flags: str,
        ms: float,
    ) -> None:
        key = (reporter, caller, service, ep, code, flags)
        labels = self._labels.get(key)
        if labels is None:
            ns = self.namespace
            src = dict(caller.labels)
            fq = f"{service}.{ns}.svc.cluster.local"
            values = (
                reporter,
                caller.workload,
                ns,
                f"spiffe://{caller.principal}",
                src.get("app", caller.workload),
                src.get("version", "unknown"),
                src.get("app", caller.workload),
                src.get("version", "latest"),
                "Kubernetes",
                ep.workload if ep else "unknown",
                ns if ep else "unknown",
                f"spiffe://cluster.local/ns/{ns}/sa/{ep.service_account}" if ep else "unknown",
                ep.label("app") if ep else "unknown",
                ep.label("version") if ep else "unknown",
                fq,
                service,
                ns,
                ep.label("app") if ep else "unknown",
                ep.label("version", "latest") if ep else "unknown",
                "Kubernetes" if ep else "unknown",
                "http",
                flags or "-",
                self._mtls if reporter == "destination" else "unknown",
                str(code),
                "",
            )
            labels = self._labels[key] = render_labels(ISTIO_LABELS, values)
        self.metrics.istio_requests.inc(labels)
        self.metrics.istio_duration.observe(labels, ms)

    # --- the request path -------------------------------------------------------------------

    def _faults_for(self, caller: Caller, service: str, subset: str | None) -> list[Fault]:
        now = time.time()
        return [
            f
            for f in self.faults
            if f.service == service
            and f.expires_at > now
            and (f.source is None or f.source == caller.workload)
            and (f.subset is None or f.subset == subset)
        ]

    async def forward(
        self, caller: Caller, service: str, req: Request, headers: dict[str, str] | None = None
    ) -> Response:
        """Route `req` from `caller` to `service` as the two sidecars would."""
        t0 = time.monotonic()
        vs = self._vs.get(service)
        index, rule = -1, None
        hmap = headers
        if hmap is None and (vs is not None or self.cfg.authorization_policies):
            hmap = req.header_map()
        if vs is not None:
            assert hmap is not None
            path, _, query = req.target.partition("?")
            from urllib.parse import parse_qsl

            view = routing.RequestView(
                req.method, path, dict(parse_qsl(query)), hmap, hmap.get("host", "")
            )
            picked = routing.select_rule(vs, view)
            if picked is None:
                self._record("source", caller, service, None, 404, "NR", 0.0)
                return Response(404, [], b"")
            index, rule = picked
        r = self._rule(service, index, rule)
        dest_host, subset = service, None
        if rule is not None and rule.route:
            d = routing.pick_destination(rule.route, self.rng.random())
            dest_host, subset = short_host(d.destination.host), d.destination.subset
        # Faults: the route's own, then run-time ones; delay first, then the abort draw.
        delay, abort = 0.0, 0
        specs = [r.fault] if r.fault else []
        if self.faults:
            specs += [f.spec() for f in self._faults_for(caller, dest_host, subset)]
        for spec in specs:
            decision = routing.decide_fault(spec, self.rng.random(), self.rng.random())
            delay += decision.delay_s
            abort = abort or decision.abort_status
        flags = []
        if delay > 0:
            flags.append("DI")
            await asyncio.sleep(delay)
        if abort:
            flags.append("FI")
            self._record(
                "source",
                caller,
                dest_host,
                None,
                abort,
                ",".join(flags),
                (time.monotonic() - t0) * 1000,
            )
            return Response(abort, list(TEXT), FAULT_BODY)
        c = self._cluster(dest_host, subset)
        resp, ep, flag = await self._send(caller, c, r, req, t0, hmap or {})
        if flag:
            flags.append(flag)
        self._record(
            "source",
            caller,
            dest_host,
            ep,
            resp.status,
            ",".join(flags),
            (time.monotonic() - t0) * 1000,
        )
        return resp

    async def _admit(self, c: _Cluster) -> bool:
        lim = c.limits
        if c.active >= lim.max_requests:
            return False
        if c.busy >= lim.max_connections:
            if c.pending >= lim.max_pending:
                return False
            c.pending += 1
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            c.waiters.append(fut)
            try:
                await fut
            finally:
                c.pending -= 1
        c.busy += 1
        c.active += 1
        return True

    def _release(self, c: _Cluster) -> None:
        c.busy -= 1
        c.active -= 1
        while c.waiters:
            w = c.waiters.popleft()
            if not w.done():
                w.set_result(None)
                break

    def _pick(self, c: _Cluster, tried: set[str]) -> Endpoint | None:
        hosts = c.hosts
        if c.outlier is not None:
            c.outlier.sweep(time.monotonic())
            ok = set(c.outlier.available([e.key for e in hosts]))
            hosts = [e for e in hosts if e.key in ok]
        if not hosts:
            return None
        fresh = [e for e in hosts if e.key not in tried] or hosts
        if len(fresh) == 1:
            return fresh[0]
        a, b = self.rng.sample(fresh, 2)  # least request, power of two choices (Istio default)
        return a if c.active_by_host.get(a.key, 0) <= c.active_by_host.get(b.key, 0) else b

    async def _send(
        self, caller: Caller, c: _Cluster, r: _Rule, req: Request, t0: float, hmap: dict[str, str]
    ) -> tuple[Response, Endpoint | None, str]:
        if not await self._admit(c):
            return Response(503, [*TEXT, (b"x-envoy-overloaded", b"true")], UO_BODY), None, "UO"
        retries = [0]
        try:
            return await self._attempts(caller, c, r, req, t0, hmap, retries)
        finally:
            c.retries -= retries[0]
            self._release(c)

    async def _attempts(
        self,
        caller: Caller,
        c: _Cluster,
        r: _Rule,
        req: Request,
        t0: float,
        hmap: dict[str, str],
        retries: list[int],
    ) -> tuple[Response, Endpoint | None, str]:
        policy = r.retry
        deadline = t0 + r.timeout_s if r.timeout_s else None
        headers = req.headers
        if not any(k.lower() == b"x-request-id" for k, _ in headers):
            headers = [*headers, (b"x-request-id", os.urandom(16).hex().encode())]
        data = serialize_request(req.method, req.target, headers, req.body)
        tried: set[str] = set()
        policies = None
        attempt = 0
        while True:
            ep = self._pick(c, tried)
            if ep is None:
                return Response(503, list(TEXT), UH_BODY), None, "UH"
            tried.add(ep.key)
            # Server sidecar: authorization by the caller's identity.
            if self.cfg.authorization_policies:
                if policies is None:
                    policies = [
                        p
                        for p in self.cfg.authorization_policies
                        if authz.applies_to(p, dict(ep.labels), self.namespace)
                    ]
                if policies:
                    target_info = authz.Target(req.method, req.target, c.service, 8080, hmap)
                    who = authz.Caller(caller.principal, caller.namespace)
                    if not authz.allowed(policies, who, target_info):
                        self._record("destination", caller, c.service, ep, 403, "", 0.0)
                        return Response(403, list(TEXT), authz.DENY_BODY), ep, ""
            timeout = policy.per_try_timeout_s
            now = time.monotonic()
            if deadline is not None:
                left = deadline - now
                if left <= 0:
                    return Response(504, list(TEXT), UT_BODY), ep, "UT"
                timeout = left if timeout is None else min(timeout, left)
            status: int | None = None
            failure: routing.Failure | None = None
            resp: Response | None = None
            c.active_by_host[ep.key] = c.active_by_host.get(ep.key, 0) + 1
            sent = time.monotonic()
            try:
                resp = await self.pool.request(
                    ep.ip,
                    ep.port,
                    data,
                    head=req.method == "HEAD",
                    limit_s=timeout,
                    connect_limit_s=c.limits.connect_timeout_s,
                )
                status = resp.status
            except UpstreamError as exc:
                failure = {
                    "connect": routing.Failure.CONNECT,
                    "reset": routing.Failure.RESET,
                    "timeout": routing.Failure.PER_TRY_TIMEOUT,
                }[exc.kind]
            finally:
                c.active_by_host[ep.key] -= 1
            if resp is not None:
                self._record(
                    "destination",
                    caller,
                    c.service,
                    ep,
                    resp.status,
                    "",
                    (time.monotonic() - sent) * 1000,
                )
            if c.outlier is not None:
                c.outlier.record(ep.key, status, time.monotonic())
            route_timed_out = (
                failure is routing.Failure.PER_TRY_TIMEOUT
                and deadline is not None
                and time.monotonic() >= deadline - 1e-4
            )
            if route_timed_out:
                return Response(504, list(TEXT), UT_BODY), ep, "UT"
            can_retry = routing.retriable(policy, status, failure)
            if can_retry and attempt < policy.attempts and c.retries < c.limits.max_retries:
                attempt += 1
                pause = routing.backoff_s(attempt, self.rng.random())
                if deadline is not None and time.monotonic() + pause >= deadline:
                    return Response(504, list(TEXT), UT_BODY), ep, "UT"
                # Envoy's max_retries bounds retries outstanding at once on the cluster.
                c.retries += 1
                retries[0] += 1
                await asyncio.sleep(pause)
                continue
            exhausted = "URX" if can_retry and attempt > 0 else ""
            if resp is not None:
                return resp, ep, exhausted
            if failure is routing.Failure.PER_TRY_TIMEOUT:
                return Response(504, list(TEXT), UT_BODY), ep, exhausted or "UT"
            if failure is routing.Failure.CONNECT:
                return Response(503, list(TEXT), UF_BODY), ep, exhausted or "UF"
            return Response(503, list(TEXT), UC_BODY), ep, exhausted or "UC"
