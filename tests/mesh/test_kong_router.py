"""Kong route matching and path_handling v0 (docs/parity.md, "Kong (gateway)")."""

from __future__ import annotations

import pytest

from harness.mesh import kong_model as km
from harness.mesh.kong_router import compile_routes, match_route, upstream_path_v0


@pytest.mark.parametrize(
    ("service_path", "strip", "prefix", "path", "expected"),
    [
        ("/", True, "/api", "/api/users", "/users"),
        ("/", True, "/api", "/api", "/"),
        ("/", True, "/api", "/apiv2", "/v2"),
        ("/", False, "/api", "/api/users", "/api/users"),
        ("/base/", True, "/api", "/api", "/base"),
        ("/base/", True, "/api", "/api/", "/base/"),
        ("/base/", True, "/api", "/api/x", "/base/x"),
        ("/base/", True, "/api", "/apix", "/base/x"),
        ("/base/", False, "/api", "/api/x", "/base/api/x"),
        ("/base", True, "/api", "/api", "/base"),
        ("/base", True, "/api", "/api/", "/base/"),
        ("/base", True, "/api", "/api/x", "/base/x"),
        ("/base", True, "/api", "/apix", "/base/x"),
        ("/base", False, "/api", "/", "/base"),
        ("/base", False, "/api", "/api/x", "/base/api/x"),
    ],
)
def test_upstream_path_v0(service_path, strip, prefix, path, expected):
    assert upstream_path_v0(service_path, strip, prefix, path) == expected


CONF = km.KongConfig.model_validate(
    {
        "_format_version": "3.0",
        "services": [
            {
                "name": "users",
                "url": "http://user-service:8080",
                "routes": [{"name": "u", "paths": ["/api/v1/users"], "strip_path": False}],
            },
            {
                "name": "all",
                "url": "http://other:8080/base",
                "routes": [
                    {"name": "a", "paths": ["/api"]},
                    {"name": "posts", "paths": ["/api"], "methods": ["POST"]},
                    {"name": "rx", "paths": ["~/api/v[0-9]+/orders$"]},
                ],
            },
        ],
    }
)


@pytest.mark.parametrize(
    ("method", "path", "route"),
    [
        ("GET", "/api/v1/users/7", "u"),  # longest prefix wins
        ("GET", "/api/v1/usersx", "u"),  # plain prefix, not segment-aware
        ("GET", "/apix", "a"),
        ("POST", "/api/x", "posts"),  # more criteria first
        ("GET", "/api/v2/orders", "a"),  # plain before regex
        ("GET", "/other", None),
    ],
)
def test_route_choice(method, path, route):
    m = match_route(compile_routes(CONF), method, path, {})
    assert (m.compiled.route.name if m else None) == route


def test_default_strip_path_is_true():
    m = match_route(compile_routes(CONF), "GET", "/api/things", {})
    assert m is not None and m.compiled.route.strip_path
    up = m.compiled.upstream
    assert (up.host, up.port, up.path) == ("other", 8080, "/base")
    assert upstream_path_v0(up.path, True, m.matched_prefix, "/api/things") == "/base/things"
