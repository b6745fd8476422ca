"""A real stack for the data-plane tests: two upstream processes and the proxy in front."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.mesh.testing import proxy_argv, upstream_argv
from harness.process import free_port, spawn, stop, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
SECRETS = {
    "mobile-app-api-key": "test-mobile-key",
    "web-app-api-key": "test-web-key",
    "web-app-jwt-secret": "test-jwt-secret-0123456789abcdef",
}


@dataclass
class Stack:
    gateway: int
    admin: int
    listeners: dict[tuple[str, str], int]
    state: Path
    token: str

    def url(self, source: str, dest: str, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.listeners[(source, dest)]}{path}"


def _endpoint(service: str, port: int, version: str = "v1", pod: str = "") -> dict[str, object]:
    return {
        "service": service,
        "workload": pod or f"{service}-{version}",  # the Deployment, as the controller names it
        "pod": pod or f"{service}-{version}-abcde-fghij",
        "ip": "127.0.0.1",
        "port": port,
        "ready": True,
        "labels": {"app": service, "version": version},
        "serviceAccount": service,
    }


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("mesh")
    state = base / "state"
    secrets = state / "secrets" / "kong-consumer-credentials"
    secrets.mkdir(parents=True)
    for key, value in SECRETS.items():
        (secrets / key).write_text(value)
    # The shipped gateway config, with a rate limit small enough to reach in a test.
    kong = (ROOT / "deploy/kubernetes/kong.yaml").read_text()
    assert "minute: 1200\n          hour: 36000" in kong
    (base / "kong.yaml").write_text(kong.replace("minute: 1200\n          hour: 36000", "hour: 5"))
    v1, v2, dead = free_port(), free_port(), free_port()
    endpoints = [
        # user-service mid-rollout: the active Service on v1, the preview on the new revision
        _endpoint("user-service", v1, pod="user-service-7d9f8-aaaaa"),
        _endpoint("user-service-preview", v2, "v2", pod="user-service-5c6d4-bbbbb"),
        _endpoint("order-service", v1),
        _endpoint("payment-service", v1),
        _endpoint("flaky-service", dead, pod="flaky-dead"),
        _endpoint("flaky-service", v1),
        _endpoint("bad-service", v1),
        _endpoint("slow-service", v1),
        _endpoint("pool-service", v1),
    ]
    (base / "endpoints.json").write_text(json.dumps({"endpoints": endpoints}))
    pairs = [
        ("order-service", "payment-service"),
        ("user-service", "payment-service"),
        ("order-service", "user-service"),
        ("tester", "flaky-service"),
        ("tester", "bad-service"),
        ("other-caller", "bad-service"),
        ("tester", "slow-service"),
        ("tester", "pool-service"),
    ]
    listeners = {p: free_port() for p in pairs}
    gateway, admin = free_port(), free_port()
    plan = {
        "admin_port": admin,
        "gateway": {"port": gateway},
        "listeners": [
            {
                "source_workload": s,
                "source_service_account": s,
                "destination_service": d,
                "port": port,
            }
            for (s, d), port in listeners.items()
        ],
    }
    (base / "plan.json").write_text(json.dumps(plan))
    procs = []
    try:
        for port, version in ((v1, "v1"), (v2, "v2")):
            env = {**os.environ, "SERVICE_VERSION": version, "POD_NAME": f"pod-{version}"}
            procs.append(spawn(upstream_argv(port), env=env, log_path=base / f"up-{port}.log"))
        configs = [
            str(ROOT / "deploy/kubernetes/istio.yaml"),
            str(base / "kong.yaml"),
            str(FIXTURES / "extra-istio.yaml"),
        ]
        procs.append(
            spawn(
                proxy_argv(
                    str(base / "plan.json"), configs, str(state), str(base / "endpoints.json")
                ),
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                cwd=ROOT,
                log_path=base / "mesh.log",
            )
        )
        for port in (v1, v2, gateway, admin):
            if not wait_for_port(port, timeout=20):
                log = (base / "mesh.log").read_text() if (base / "mesh.log").exists() else ""
                pytest.fail(f"port {port} never opened; proxy log:\n{log}", pytrace=False)
        token = (state / "mesh" / "admin.token").read_text().strip()
        yield Stack(gateway, admin, listeners, state, token)
    finally:
        for p in reversed(procs):
            stop(p)
