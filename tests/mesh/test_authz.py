"""Istio AuthorizationPolicy decisions (docs/parity.md, "Istio (mesh)")."""

from __future__ import annotations

from typing import Any

import pytest

from harness.mesh import authz
from harness.mesh import istio_model as im

GATEWAY = authz.Caller.of("kong-gateway")
ORDERS = authz.Caller.of("order-service")
USERS = authz.Caller.of("user-service")
PLAIN = authz.Caller("", "")


def policy(spec: dict[str, Any], name: str = "p") -> im.AuthorizationPolicy:
    return im.AuthorizationPolicy(name=name, spec=im.AuthorizationPolicySpec.model_validate(spec))


def target(path: str = "/api/v1/x", method: str = "GET", **headers: str) -> authz.Target:
    return authz.Target(method, path, "svc", 8080, headers)


ALLOW_GW = policy(
    {
        "rules": [
            {"from": [{"source": {"principals": ["cluster.local/ns/default/sa/kong-gateway"]}}]}
        ]
    }
)


@pytest.mark.parametrize(
    ("policies", "caller", "t", "allowed"),
    [
        ([], PLAIN, target(), True),  # no policy: allow
        ([ALLOW_GW], GATEWAY, target(), True),
        ([ALLOW_GW], ORDERS, target(), False),  # one ALLOW policy denies the rest
        ([ALLOW_GW], PLAIN, target(), False),  # principals need mTLS
        ([policy({})], GATEWAY, target(), False),  # spec {} = allow nothing
        ([policy({"rules": [{}]})], PLAIN, target(), True),  # an empty rule matches all
        (
            [
                ALLOW_GW,
                policy(
                    {"action": "DENY", "rules": [{"to": [{"operation": {"methods": ["DELETE"]}}]}]}
                ),
            ],
            GATEWAY,
            target(method="DELETE"),
            False,
        ),
        (
            [policy({"rules": [{"to": [{"operation": {"paths": ["/api/*"]}}]}]})],
            PLAIN,
            target("/api"),
            False,
        ),  # /api/* does not match /api
        (
            [policy({"rules": [{"to": [{"operation": {"paths": ["/api/*"]}}]}]})],
            PLAIN,
            target("/api/"),
            True,
        ),
        (
            [
                policy(
                    {
                        "rules": [
                            {
                                "from": [{"source": {"namespaces": ["default"]}}],
                                "to": [{"operation": {"methods": ["GET"]}}],
                            }
                        ]
                    }
                )
            ],
            USERS,
            target(method="POST"),
            False,
        ),  # from AND to
        (
            [policy({"rules": [{"from": [{"source": {"serviceAccounts": ["order-service"]}}]}]})],
            ORDERS,
            target(),
            True,
        ),
        (
            [policy({"rules": [{"from": [{"source": {"notPrincipals": ["*kong-gateway"]}}]}]})],
            GATEWAY,
            target(),
            False,
        ),
        (
            [
                policy(
                    {
                        "rules": [
                            {
                                "when": [
                                    {
                                        "key": "request.headers[authorization]",
                                        "values": ["Bearer *"],
                                    }
                                ]
                            }
                        ]
                    }
                )
            ],
            PLAIN,
            target(authorization="Bearer abc"),
            True,
        ),
        (
            [
                policy(
                    {
                        "rules": [
                            {
                                "when": [
                                    {
                                        "key": "request.headers[authorization]",
                                        "values": ["Bearer *"],
                                    }
                                ]
                            }
                        ]
                    }
                )
            ],
            PLAIN,
            target(),
            False,
        ),
        (
            [policy({"rules": [{"from": [{"source": {"requestPrincipals": ["*"]}}]}]})],
            GATEWAY,
            target(),
            False,
        ),  # needs RequestAuthentication, which the local mesh does not have
    ],
)
def test_decision(policies, caller, t, allowed):
    assert authz.allowed(policies, caller, t) is allowed


@pytest.mark.parametrize(
    ("pattern", "value", "hit"),
    [
        ("abc", "abc", True),
        ("abc*", "abcdef", True),
        ("*def", "abcdef", True),
        ("*", "x", True),
        ("*", "", False),
        ("abc", "abcd", False),
    ],
)
def test_value_matching(pattern, value, hit):
    assert authz.value_matches(pattern, value) is hit


def test_selector_and_namespace_decide_which_policies_apply():
    p = policy({"selector": {"matchLabels": {"app": "user-service"}}})
    assert authz.applies_to(p, {"app": "user-service", "version": "v2"}, "default")
    assert not authz.applies_to(p, {"app": "order-service"}, "default")
    assert not authz.applies_to(p, {"app": "user-service"}, "other")
    root = im.AuthorizationPolicy(
        name="r", namespace="istio-system", spec=im.AuthorizationPolicySpec()
    )
    assert authz.applies_to(root, {"app": "x"}, "default")
