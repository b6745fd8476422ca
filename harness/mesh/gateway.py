"""The Kong gateway on the local target: route, run plugins in priority order, proxy via mesh.

The gateway is a mesh caller with its own identity (its service account), so its calls to the
services pass through the same routing, faults, authorization and metrics as any sidecar's.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from harness.mesh import kong_model as km
from harness.mesh import kong_plugins as kp
from harness.mesh.http1 import Request, Response
from harness.mesh.kong_router import CompiledRoute, compile_routes, match_route, upstream_path_v0
from harness.mesh.mesh import Caller, Mesh, short_host
from harness.mesh.metrics import Registry, render_labels

# Headers that could steer faults or Envoy behaviour: never accepted from outside callers.
FAULT_HEADER_PREFIXES = (b"x-envoy-", b"x-harness-fault")
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
        self.plugins = {id(c): _plugin_list(conf, c) for c in self.routes}
        self.creds = kp.Credentials.index(consumers)
        self.counters = kp.RateCounters()

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
        svc, route = c.service.name, c.route.name or ""
        if prom.status_code_metrics:
            self.metrics.kong_requests.inc(
                render_labels(
                    ("service", "route", "code", "source", "workspace", "consumer"),
                    (
                        svc,
                        route,
                        str(code),
                        source,
                        "default",
                        consumer if prom.per_consumer else "",
                    ),
                )
            )
        if prom.latency_metrics:
            labels = render_labels(("service", "route", "workspace"), (svc, route, "default"))
            self.metrics.kong_request.observe(labels, total_ms)
            if source == "service":
                self.metrics.kong_upstream.observe(labels, upstream_ms)
            self.metrics.kong_latency.observe(labels, max(total_ms - upstream_ms, 0.0))

    async def handle(self, req: Request) -> Response:
        started = time.monotonic()
        request_id = os.urandom(16).hex()
        kept = [(k, v) for k, v in req.headers if not k.lower().startswith(FAULT_HEADER_PREFIXES)]
        hmap: dict[str, str] = {}
        repeated: set[str] = set()
        for k, v in kept:
            name = k.decode("latin-1").lower()
            if name in hmap:
                repeated.add(name)
            else:
                hmap[name] = v.decode("latin-1")
        path, _, query = req.target.partition("?")
        match = match_route(self.routes, req.method, path, hmap)
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
            dict(hmap),
            frozenset(repeated),
            req.peer_ip,
            req.body,
            request_id,
            int(cl) if cl and cl.isdigit() else None,
        )
        prom: km.PrometheusConfig | None = None
        now = time.time()
        for b in self.plugins[id(c)]:
            cfg = b.config
            out: kp.Exit | None = None
            if isinstance(cfg, km.CorrelationIdConfig):
                kp.access_correlation_id(cfg, g)
            elif isinstance(cfg, km.CorsConfig):
                out = kp.access_cors(cfg, g)
            elif isinstance(cfg, km.JwtConfig):
                out = kp.access_jwt(cfg, g, self.creds, now)
            elif isinstance(cfg, km.KeyAuthConfig):
                out = kp.access_key_auth(cfg, g, self.creds)
            elif isinstance(cfg, km.RequestSizeLimitingConfig):
                out = kp.access_size_limit(cfg, g)
            elif isinstance(cfg, km.RateLimitingConfig):
                self.counters.gc(now)
                out = kp.access_rate_limit(cfg, g, b.scope, c.service.name, self.counters, now)
            elif isinstance(cfg, km.RequestTransformerConfig):
                kp.access_request_transformer(cfg, g)
            elif isinstance(cfg, km.PrometheusConfig):
                prom = cfg
            if out is not None:
                consumer = g.consumer.username or "" if g.consumer else ""
                total = (time.monotonic() - started) * 1000
                self._record(c, out.status, "kong", consumer, self._prom(c, prom), total, 0.0)
                resp = self._exit(out, request_id, started)
                if isinstance(cfg, km.CorsConfig):
                    return resp
                resp.headers += [(k.encode(), v.encode()) for k, v in kp.header_filter(g)]
                return resp
        up = c.upstream
        upath = upstream_path_v0(up.path, c.route.strip_path, match.matched_prefix, path)
        target = f"{upath}?{g.query}" if g.query else upath
        clear = {h.lower() for h in g.upstream_clear} | {h.lower() for h in g.upstream_set}
        clear |= {
            "host",
            "x-forwarded-for",
            "x-forwarded-proto",
            "x-forwarded-host",
            "x-forwarded-port",
            "x-forwarded-path",
            "x-real-ip",
            "x-kong-request-id",
        }
        headers = [(k, v) for k, v in kept if k.decode("latin-1").lower() not in clear]
        headers += [(k.encode(), v.encode()) for k, v in g.upstream_set.items()]
        xff = hmap.get("x-forwarded-for")
        host = hmap.get("host", "").split(":", 1)[0]
        headers += [
            (b"host", f"{up.host}:{up.port}".encode()),
            (b"x-forwarded-for", f"{xff}, {req.peer_ip}".encode() if xff else req.peer_ip.encode()),
            (b"x-forwarded-proto", b"http"),
            (b"x-forwarded-host", host.encode()),
            (b"x-forwarded-port", self.port),
            (b"x-forwarded-path", path.encode()),
            (b"x-real-ip", req.peer_ip.encode()),
            (b"x-kong-request-id", request_id.encode()),
        ]
        sent = time.monotonic()
        resp = await self.mesh.forward(
            self.caller,
            short_host(up.host),
            Request(req.method, target, headers, req.body, req.peer_ip, True),
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
        consumer = g.consumer.username or "" if g.consumer else ""
        self._record(
            c,
            resp.status,
            "service",
            consumer,
            self._prom(c, prom),
            (done - started) * 1000,
            upstream_ms,
        )
        return resp

    def _prom(
        self, c: CompiledRoute, seen: km.PrometheusConfig | None
    ) -> km.PrometheusConfig | None:
        """The prometheus plugin runs in the log phase even when an earlier plugin exits."""
        if seen is not None:
            return seen
        for b in self.plugins[id(c)]:
            if isinstance(b.config, km.PrometheusConfig):
                return b.config
        return None
