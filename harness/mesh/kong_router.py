"""Kong route matching and the upstream URI (`path_handling: v0`), pure.

As docs/parity.md, "Kong (gateway)" (routing, upstream path) describes.

Plain paths are string prefixes (`/api` matches `/apix`); `~` paths are regexes anchored at the
start. Among matching routes the most specific wins: more match criteria first, then plain
paths before regexes (regexes by `regex_priority`), then the longest path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from harness.errors import ConfigError
from harness.mesh import kong_model as km


@dataclass(frozen=True)
class Upstream:
    host: str
    port: int
    path: str  # service path ("/" when none)

    @property
    def host_header(self) -> bytes:
        return f"{self.host}:{self.port}".encode()


@dataclass(frozen=True)
class CompiledRoute:
    route: km.Route
    service: km.Service
    upstream: Upstream
    prefixes: tuple[str, ...]
    regexes: tuple[re.Pattern[str], ...]
    methods: frozenset[str] | None
    hosts: tuple[str, ...] | None


@dataclass(frozen=True)
class RouteMatch:
    compiled: CompiledRoute
    matched_prefix: str  # the part of the path the route matched


def service_upstream(s: km.Service) -> Upstream:
    if s.url:
        parts = urlsplit(s.url)
        if not parts.hostname:
            raise ConfigError(
                "kong config",
                f"services[{s.name}].url",
                "no host in url",
                "write http://<host>:<port>/<path>",
            )
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return Upstream(parts.hostname, port, parts.path or "/")
    if not s.host:
        raise ConfigError(
            "kong config",
            f"services[{s.name}]",
            "neither url nor host",
            "set url: http://<service>:8080",
        )
    return Upstream(s.host, s.port, s.path or "/")


def compile_routes(conf: km.KongConfig) -> list[CompiledRoute]:
    by_name = {s.name: s for s in conf.services}
    pairs = [(r, s) for s in conf.services for r in s.routes]
    for r in conf.routes:
        if r.service is None or r.service not in by_name:
            raise ConfigError(
                "kong config",
                f"routes[{r.name}].service",
                f"unknown service {r.service!r}",
                "name a service in `services`",
            )
        pairs.append((r, by_name[r.service]))
    out = []
    for r, s in pairs:
        prefixes = tuple(p for p in r.paths if not p.startswith("~"))
        regexes = tuple(re.compile(p[1:]) for p in r.paths if p.startswith("~"))
        out.append(
            CompiledRoute(
                r,
                s,
                service_upstream(s),
                prefixes,
                regexes,
                frozenset(m.upper() for m in r.methods) if r.methods else None,
                tuple(h.lower() for h in r.hosts) if r.hosts else None,
            )
        )
    return out


def _host_ok(hosts: tuple[str, ...] | None, host: str) -> bool:
    if hosts is None:
        return True
    h = host.split(":", 1)[0].lower()
    return any(h == x or (x.startswith("*.") and h.endswith(x[1:])) for x in hosts)


def match_route(
    routes: list[CompiledRoute], method: str, path: str, headers: Mapping[str, str]
) -> RouteMatch | None:
    """The most specific route for this request, or None (Kong answers 404)."""
    best: tuple[tuple[int, int, int], RouteMatch] | None = None
    for c in routes:
        if c.methods is not None and method not in c.methods:
            continue
        if not _host_ok(c.hosts, headers.get("host", "")):
            continue
        if c.route.headers and not all(
            headers.get(k.lower()) in v for k, v in c.route.headers.items()
        ):
            continue
        criteria = (c.methods is not None) + (c.hosts is not None) + bool(c.route.headers)
        found: tuple[tuple[int, int, int], str] | None = None
        if not c.prefixes and not c.regexes:
            found = ((criteria, 0, 0), "")
        for p in c.prefixes:
            if path.startswith(p) and (found is None or len(p) > found[0][2]):
                found = ((criteria + 1, 1, len(p)), p)
        if found is None:
            for rx in c.regexes:
                m = rx.match(path)
                if m:
                    found = ((criteria + 1, 0, c.route.regex_priority), m.group(0))
                    break
        if found is not None and (best is None or found[0] > best[0]):
            best = (found[0], RouteMatch(c, found[1]))
    return best[1] if best else None


def upstream_path_v0(service_path: str, strip_path: bool, matched: str, request_path: str) -> str:
    """Kong's `get_upstream_uri_v0` (path only; the query string is passed through)."""
    b = service_path or "/"
    if not strip_path:
        if b.endswith("/"):
            return b + request_path[1:]
        return b if request_path == "/" else b + request_path
    rest = request_path[len(matched) :] if matched else request_path
    if b.endswith("/"):
        if rest == "":
            if b == "/":
                return "/"
            return b if request_path.endswith("/") else b[:-1]
        if rest.startswith("/"):
            return b[:-1] + rest
        return b + rest
    if rest == "":
        return b + "/" if request_path.endswith("/") else b
    if rest.startswith("/"):
        return b + rest
    return b + "/" + rest
