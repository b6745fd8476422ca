"""The mesh data plane: one request from a caller identity to a destination service.

Client-sidecar work (fault, route, weights, subset, connection pool, load balancing, retries,
timeouts, outlier detection) and server-sidecar work (authorization) happen in one hop, and
both sidecars' metrics are recorded: `reporter="source"` once per request, `reporter=
"destination"` once per attempt that reached the service.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl

from harness.contracts.cluster import Endpoint
from harness.mesh import authz, routing
from harness.mesh import istio_model as im
from harness.mesh.caller import Caller
from harness.mesh.config import MeshConfig
from harness.mesh.faults import Fault, rules_carrying
from harness.mesh.http1 import Pool, Request, Response, UpstreamError, serialize_request
from harness.mesh.istio_metrics import IstioRecorder
from harness.mesh.metrics import Registry
from harness.mesh.upstream import UpstreamPool

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
class _Rule:
    rule: im.HTTPRoute | None
    fault: routing.FaultSpec | None
    retry: routing.RetryPolicy
    timeout_s: float | None


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
        self.faults: list[Fault] = []  # destination faults (`service`)
        # VirtualService faults by (VirtualService name, rule index): the rules they sit on.
        self.rule_faults: dict[tuple[str, int], list[Fault]] = {}
        self._vs = {short_host(h): vs for vs in cfg.virtual_services for h in vs.spec.hosts}
        self._vs_headers = {
            name
            for name, vs in self._vs.items()
            if any(
                m.headers or m.without_headers or m.authority
                for h in vs.spec.http
                for m in h.match or []
            )
        }
        self._authz_cache: dict[
            tuple[int, str, str], tuple[list[im.AuthorizationPolicy], bool]
        ] = {}
        self._decisions: dict[tuple[int, str, str], bool] = {}
        self._dr = {short_host(dr.spec.host): dr for dr in cfg.destination_rules}
        # Envoy keeps clusters (connection-pool counters, outlier ejections) per calling proxy:
        # each caller's sidecar has its own view of a destination's hosts. Locally one view per
        # calling workload (replicas of a workload share it; see docs/parity.md).
        self._clusters: dict[tuple[str, str, str | None], UpstreamPool] = {}
        self._endpoints: list[Endpoint] = []
        self._recorder = IstioRecorder(registry, cfg, namespace)
        self._rules: dict[tuple[str, int], _Rule] = {}

    # --- state fed from outside ---------------------------------------------------------

    def set_endpoints(self, endpoints: list[Endpoint]) -> None:
        ready = [e for e in endpoints if e.ready]
        if ready == self._endpoints:
            return
        self._endpoints = ready
        self._authz_cache.clear()
        self._decisions.clear()
        for c in self._clusters.values():
            c.fill(ready)

    def _cluster(self, caller: Caller, service: str, subset: str | None) -> UpstreamPool:
        key = (caller.workload, service, subset)
        c = self._clusters.get(key)
        if c is None:
            c = self._clusters[key] = UpstreamPool.build(service, subset, self._dr.get(service))
            c.fill(self._endpoints)
        return c

    def set_faults(self, faults: list[Fault]) -> None:
        # Writers may name a destination fault's host as a FQDN (`user-service.default.svc...`).
        self.faults = [replace(f, service=short_host(f.service)) for f in faults if f.service]
        by_rule: dict[tuple[str, int], list[Fault]] = {}
        for f in faults:
            if f.service or not f.virtual_service:
                continue
            for vs in self.cfg.virtual_services:
                if vs.name == f.virtual_service:
                    for index in rules_carrying(vs, f.routes):
                        by_rule.setdefault((vs.name, index), []).append(f)
        self.rule_faults = by_rule

    @property
    def has_faults(self) -> bool:
        return bool(self.faults or self.rule_faults)

    # --- config lookups -------------------------------------------------------------------

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

    def _rule_faults_for(self, caller: Caller, vs_name: str, index: int) -> list[Fault]:
        """VirtualService faults on the rule the request took (Envoy's per-route fault filter):
        they hit it whatever destination the weighted pick chooses afterwards."""
        now = time.time()
        return [
            f
            for f in self.rule_faults.get((vs_name, index), ())
            if f.expires_at > now and (f.source is None or f.source == caller.workload)
        ]

    async def forward(
        self, caller: Caller, service: str, req: Request, headers: dict[str, str] | None = None
    ) -> Response:
        """Route `req` from `caller` to `service` as the two sidecars would."""
        t0 = time.monotonic()
        vs = self._vs.get(service)
        index, rule = -1, None
        hmap = headers
        if vs is not None:
            if hmap is None and service in self._vs_headers:
                hmap = req.header_map()
            path, _, query = req.target.partition("?")
            view = routing.RequestView(
                req.method,
                path,
                dict(parse_qsl(query)) if query else {},
                hmap or {},
                (hmap or {}).get("host", ""),
            )
            picked = routing.select_rule(vs, view)
            if picked is None:
                self._recorder.record("source", caller, service, None, 404, "NR", 0.0)
                return Response(404, [], b"")
            index, rule = picked
        r = self._rule(service, index, rule)
        # Faults on the rule (its own block, then run-time VirtualService faults) are decided
        # per route, before the weighted pick, as Envoy's fault filter runs; destination
        # faults follow once the destination is known. Delay first, then the abort draw.
        specs = [r.fault] if r.fault else []
        if vs is not None and self.rule_faults:
            specs += [f.spec() for f in self._rule_faults_for(caller, vs.name, index)]
        dest_host, subset = service, None
        if rule is not None and rule.route:
            draw = self.rng.random() if len(rule.route) > 1 else 0.0
            d = routing.pick_destination(rule.route, draw)
            dest_host, subset = short_host(d.destination.host), d.destination.subset
        delay, abort = 0.0, 0
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
            self._recorder.record(
                "source",
                caller,
                dest_host,
                None,
                abort,
                ",".join(flags),
                (time.monotonic() - t0) * 1000,
            )
            return Response(abort, list(TEXT), FAULT_BODY)
        c = self._cluster(caller, dest_host, subset)
        # The route timeout starts at the router, after the fault filter's delay (Envoy order).
        routed = time.monotonic() if delay > 0 else t0
        resp, ep, flag = await self._send(caller, c, r, req, routed, hmap)
        if flag:
            flags.append(flag)
        self._recorder.record(
            "source",
            caller,
            dest_host,
            ep,
            resp.status,
            ",".join(flags),
            (time.monotonic() - t0) * 1000,
        )
        return resp

    def _authorize(
        self,
        caller: Caller,
        ep: Endpoint,
        c: UpstreamPool,
        req: Request,
        hmap: dict[str, str] | None,
    ) -> bool:
        """The destination's policies; decisions that only depend on the caller are cached."""
        key = (id(caller), ep.key, "")
        entry = self._authz_cache.get(key)
        if entry is None:
            labels = dict(ep.labels)
            policies = [
                p
                for p in self.cfg.authorization_policies
                if authz.applies_to(p, labels, self.namespace)
            ]
            static = all(
                r.to is None and r.when is None for p in policies for r in p.spec.rules or []
            )
            entry = self._authz_cache[key] = (policies, static)
        policies, static = entry
        if not policies:
            return True
        who = authz.Caller(caller.principal, caller.namespace)
        if static:
            decision = self._decisions.get(key)
            if decision is None:
                target = authz.Target(req.method, req.target, c.service, 8080, {})
                decision = self._decisions[key] = authz.allowed(policies, who, target)
            return decision
        headers = hmap if hmap is not None else req.header_map()
        return authz.allowed(
            policies, who, authz.Target(req.method, req.target, c.service, 8080, headers)
        )

    async def _send(
        self,
        caller: Caller,
        c: UpstreamPool,
        r: _Rule,
        req: Request,
        t0: float,
        hmap: dict[str, str] | None,
    ) -> tuple[Response, Endpoint | None, str]:
        if not await c.admit():
            return Response(503, [*TEXT, (b"x-envoy-overloaded", b"true")], UO_BODY), None, "UO"
        retries = [0]
        try:
            return await self._attempts(caller, c, r, req, t0, hmap, retries)
        finally:
            c.retries -= retries[0]
            c.release()

    async def _attempts(
        self,
        caller: Caller,
        c: UpstreamPool,
        r: _Rule,
        req: Request,
        t0: float,
        hmap: dict[str, str] | None,
        retries: list[int],
    ) -> tuple[Response, Endpoint | None, str]:
        policy = r.retry
        deadline = t0 + r.timeout_s if r.timeout_s else None
        data = serialize_request(req.method, req.target, req.headers, req.body, request_id=True)
        tried: set[str] = set()
        attempt = 0
        while True:
            ep = c.pick(tried, self.rng)
            if ep is None:
                return Response(503, list(TEXT), UH_BODY), None, "UH"
            tried.add(ep.key)
            # Server sidecar: authorization by the caller's identity.
            if self.cfg.authorization_policies and not self._authorize(caller, ep, c, req, hmap):
                self._recorder.record("destination", caller, c.service, ep, 403, "", 0.0)
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
                self._recorder.record(
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
