"""The Kong gateway on the local target: route, run plugins in priority order, proxy via mesh.

The gateway is a mesh caller with its own identity (its service account), so its calls to the
services pass through the same routing, faults, authorization and metrics as any sidecar's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.mesh import kong_model as km
from harness.mesh import kong_plugins as kp
from harness.mesh.caller import Caller
from harness.mesh.http1 import Request, Response
from harness.mesh.kong_router import (
    CompiledRoute,
    RouteMatch,
    compile_routes,
    match_route,
    upstream_path_v0,
)
from harness.mesh.mesh import Mesh, short_host
from harness.mesh.metrics import Registry, render_labels

# Headers that could steer faults or Envoy behaviour: never accepted from outside callers.
FAULT_HEADER_PREFIXES = ("x-envoy-", "x-harness-fault")
VIA = f"kong/{kp.KONG_VERSION}".encode()


@dataclass(frozen=True)
class _Bound:
    name: str
    config: object
    scope: str  # counter scope for rate limiting: where the plugin was configured


def _plugin_list(conf: km.KongConfig, c: CompiledRoute) -> list[_Bound]:
    """Most specific configuration per plugin name (route > service > global), by priority."""
    chosen: dict[str, _Bound] = {}
    layers = [
        ("global", conf.plugins),
        (f"service:{c.service.name}", c.service.plugins),
        (f"route:{c.route.name or id(c.route)}", c.route.plugins),
    ]
    for scope, plugins in layers:
        for p in plugins:
            if p.enabled and p.name in km.PLUGIN_CONFIGS:
                cfg = km.PLUGIN_CONFIGS[p.name].model_validate(p.config)
                chosen[p.name] = _Bound(p.name, cfg, scope)
    return sorted(chosen.values(), key=lambda b: -km.PRIORITY[b.name])


_EMPTY: frozenset[str] = frozenset()
_SET_BY_PROXY = frozenset(
    {
        "host",
        "x-forwarded-for",
        "x-forwarded-proto",
        "x-forwarded-host",
        "x-forwarded-port",
        "x-forwarded-path",
        "x-real-ip",
        "x-kong-request-id",
    }
)
Access = Callable[["Gateway", Any, kp.GatewayRequest, str, CompiledRoute, float], "kp.Exit | None"]


def _correlation(
    gw: Gateway, cfg: Any, g: kp.GatewayRequest, scope: str, c: CompiledRoute, now: float
) -> kp.Exit | None:
    kp.access_correlation_id(cfg, g)
    return None


def _transformer(
    gw: Gateway, cfg: Any, g: kp.GatewayRequest, scope: str, c: CompiledRoute, now: float
) -> kp.Exit | None:
    kp.access_request_transformer(cfg, g)
    return None


def _rate(
    gw: Gateway, cfg: Any, g: kp.GatewayRequest, scope: str, c: CompiledRoute, now: float
) -> kp.Exit | None:
    gw.counters.gc(now)
    return kp.access_rate_limit(cfg, g, scope, c.service.name, gw.counters, now)


def _nothing(
    gw: Gateway, cfg: Any, g: kp.GatewayRequest, scope: str, c: CompiledRoute, now: float
) -> kp.Exit | None:
    return None


_ACCESS: dict[type, Access] = {
    km.CorrelationIdConfig: _correlation,
    km.CorsConfig: lambda gw, cfg, g, s, c, now: kp.access_cors(cfg, g),
    km.JwtConfig: lambda gw, cfg, g, s, c, now: kp.access_jwt(cfg, g, gw.credentials(), now),
    km.KeyAuthConfig: lambda gw, cfg, g, s, c, now: kp.access_key_auth(cfg, g, gw.credentials()),
    km.RequestSizeLimitingConfig: lambda gw, cfg, g, s, c, now: kp.access_size_limit(cfg, g),
    km.RateLimitingConfig: _rate,
    km.RequestTransformerConfig: _transformer,
    km.PrometheusConfig: _nothing,  # log phase: handled after the response
}


class Gateway:
    def __init__(
        self,
        conf: km.KongConfig,
        consumers: list[km.Consumer],
        mesh: Mesh,
        caller: Caller,
        registry: Registry,
        port: int,
    ) -> None:
        self.mesh = mesh
        self.caller = caller
        self.metrics = registry
        self.port = str(port).encode()
        self.routes = compile_routes(conf)
        self.plugins = {
            id(c): [(_ACCESS[type(b.config)], b.config, b.scope) for b in _plugin_list(conf, c)]
            for c in self.routes
        }
        # The prometheus plugin logs every request of its route, rejected ones included.
        self.prom = {
            id(c): next(
                (
                    b.config
                    for b in _plugin_list(conf, c)
                    if isinstance(b.config, km.PrometheusConfig)
                ),
                None,
            )
            for c in self.routes
        }
        self._cacheable = not any(c.hosts or c.route.headers for c in self.routes)
        self._match_cache: dict[tuple[str, str], RouteMatch | None] = {}
        self.creds = kp.Credentials.index(consumers)
        self.counters = kp.RateCounters()
        self._labels: dict[tuple[int, int, str, str], tuple[str, str]] = {}

    def credentials(self) -> kp.Credentials:
        return self.creds

    def _match(self, method: str, path: str, hmap: dict[str, str]) -> RouteMatch | None:
        """Route lookup, memoised per (method, path) when no route looks at hosts or headers."""
        if not self._cacheable:
            return match_route(self.routes, method, path, hmap)
        key = (method, path)
        try:
            return self._match_cache[key]
        except KeyError:
            pass
        if len(self._match_cache) > 4096:
            self._match_cache.clear()
        found = self._match_cache[key] = match_route(self.routes, method, path, hmap)
        return found

    def _exit(self, e: kp.Exit, request_id: str, started: float) -> Response:
        latency = str(int((time.monotonic() - started) * 1000)).encode()
        headers = [(k.encode(), v.encode()) for k, v in e.headers]
        headers += [
            (b"Server", VIA),
            (b"X-Kong-Response-Latency", latency),
            (b"X-Kong-Request-Id", request_id.encode()),
        ]
        return Response(e.status, headers, e.body)

    def _record(
        self,
        c: CompiledRoute,
        code: int,
        source: str,
        consumer: str,
        prom: km.PrometheusConfig | None,
        total_ms: float,
        upstream_ms: float,
    ) -> None:
        self.metrics.kong_nginx.inc("")
        if prom is None:
            return
        key = (id(c), code, source, consumer if prom.per_consumer else "")
        labels = self._labels.get(key)
        if labels is None:
            svc, route = c.service.name, c.route.name or ""
            labels = self._labels[key] = (
                render_labels(
                    ("service", "route", "code", "source", "workspace", "consumer"),
                    (svc, route, str(code), source, "default", key[3]),
                ),
                render_labels(("service", "route", "workspace"), (svc, route, "default")),
            )
        if prom.status_code_metrics:
            self.metrics.kong_requests.inc(labels[0])
        if prom.latency_metrics:
            self.metrics.kong_request.observe(labels[1], total_ms)
            if source == "service":
                self.metrics.kong_upstream.observe(labels[1], upstream_ms)
            self.metrics.kong_latency.observe(labels[1], max(total_ms - upstream_ms, 0.0))

    async def handle(self, req: Request) -> Response:
        started = time.monotonic()
        request_id = os.urandom(16).hex()
        kept: list[tuple[str, bytes, bytes]] = []  # (lower-case name, name, value)
        hmap: dict[str, str] = {}
        repeated: set[str] = set()
        for k, v in req.headers:
            name = k.decode("latin-1").lower()
            if name.startswith(FAULT_HEADER_PREFIXES):
                continue  # outside callers never steer faults or Envoy
            kept.append((name, k, v))
            if name in hmap:
                repeated.add(name)
            else:
                hmap[name] = v.decode("latin-1")
        path, _, query = req.target.partition("?")
        match = self._match(req.method, path, hmap)
        if match is None:
            e = kp.error_exit(404, "no Route matched with those values", request_id)
            self.metrics.kong_nginx.inc("")
            return self._exit(e, request_id, started)
        c = match.compiled
        cl = hmap.get("content-length")
        g = kp.GatewayRequest(
            req.method,
            path,
            query,
            hmap,
            frozenset(repeated) if repeated else _EMPTY,
            req.peer_ip,
            req.body,
            request_id,
            int(cl) if cl and cl.isdigit() else None,
        )
        now = time.time()
        prom = self.prom[id(c)]
        for run, cfg, scope in self.plugins[id(c)]:
            out = run(self, cfg, g, scope, c, now)
            if out is not None:
                consumer = (g.consumer.username or "") if g.consumer else ""
                total = (time.monotonic() - started) * 1000
                self._record(c, out.status, "kong", consumer, prom, total, 0.0)
                resp = self._exit(out, request_id, started)
                if not isinstance(cfg, km.CorsConfig):  # a preflight answer is complete
                    resp.headers += [(k.encode(), v.encode()) for k, v in kp.header_filter(g)]
                return resp
        up = c.upstream
        upath = upstream_path_v0(up.path, c.route.strip_path, match.matched_prefix, path)
        target = f"{upath}?{g.query}" if g.query else upath
        clear = _SET_BY_PROXY
        if g.upstream_clear or g.upstream_set:
            clear = clear | {h.lower() for h in g.upstream_clear}
            clear |= {h.lower() for h in g.upstream_set}
        headers = [(k, v) for name, k, v in kept if name not in clear]
        for k2, v2 in g.upstream_set.items():
            headers.append((k2.encode(), v2.encode()))
        xff = hmap.get("x-forwarded-for")
        host = hmap.get("host", "").split(":", 1)[0]
        headers += [
            (b"host", up.host_header),
            (b"x-forwarded-for", f"{xff}, {req.peer_ip}".encode() if xff else req.peer_ip.encode()),
            (b"x-forwarded-proto", b"http"),
            (b"x-forwarded-host", host.encode()),
            (b"x-forwarded-port", self.port),
            (b"x-forwarded-path", path.encode()),
            (b"x-real-ip", req.peer_ip.encode()),
            (b"x-kong-request-id", request_id.encode()),
        ]
        # What the mesh may match on: the headers as they leave the gateway.
        mesh_headers = g.headers
        for k2, v2 in g.upstream_set.items():
            mesh_headers[k2.lower()] = v2
        mesh_headers["host"] = up.host_header.decode()
        sent = time.monotonic()
        resp = await self.mesh.forward(
            self.caller,
            short_host(up.host),
            Request(req.method, target, headers, req.body, req.peer_ip, True),
            mesh_headers,
        )
        done = time.monotonic()
        upstream_ms = (done - sent) * 1000
        proxy_ms = (sent - started) * 1000
        resp.headers += [(k.encode(), v.encode()) for k, v in kp.header_filter(g)]
        resp.headers += [
            (b"X-Kong-Upstream-Latency", str(int(upstream_ms)).encode()),
            (b"X-Kong-Proxy-Latency", str(int(proxy_ms)).encode()),
            (b"Via", b"1.1 " + VIA),
            (b"X-Kong-Request-Id", request_id.encode()),
        ]
        consumer = (g.consumer.username or "") if g.consumer else ""
        self._record(
            c,
            resp.status,
            "service",
            consumer,
            prom,
            (done - started) * 1000,
            upstream_ms,
        )
        return resp
