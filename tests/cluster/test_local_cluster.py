"""The local cluster with real processes: pods, probes, restarts, endpoints, Prometheus."""

from __future__ import annotations

import json
import os
import signal

import httpx
import pytest

from harness.contracts.cluster import Cluster, PodPhase
from tests.cluster.conftest import FIXTURES, Stack, run_cli
from tests.waiting import eventually

pytestmark = pytest.mark.integration


def _get(port: int, path: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5.0, trust_env=False)


def _post(port: int, path: str) -> httpx.Response:
    return httpx.post(f"http://127.0.0.1:{port}{path}", timeout=5.0, trust_env=False)


def _pod(stack: Stack, name: str) -> dict[str, object] | None:
    return next((p for p in stack.status()["pods"] if p["name"] == name), None)


def test_up_reports_addresses_and_is_idempotent(stack: Stack) -> None:
    """`up` prints gateway, Prometheus and admin; a second `up` reports the running stack."""
    out = stack.up_output
    assert out["gateway"] == f"http://127.0.0.1:{stack.gateway_port}"
    assert out["prometheus"] == f"http://127.0.0.1:{stack.prometheus_port}"
    assert out["admin"] == f"http://127.0.0.1:{stack.admin_port}"
    assert all(d["available"] for d in out["deployments"])
    before = {p["name"]: p["pid"] for p in stack.status()["pods"]}
    again = json.loads(run_cli("up", "--json", "--state-dir", str(stack.state)).stdout)
    assert again["alreadyRunning"] is True
    assert {p["name"]: p["pid"] for p in stack.status()["pods"]} == before
    human = run_cli("status", "--state-dir", str(stack.state)).stdout.splitlines()
    assert human[0].split() == [
        "NAME",
        "SERVICE",
        "VERSION",
        "PHASE",
        "READY",
        "RESTARTS",
        "AGE",
        "PID",
        "PORT",
    ]
    blank = human.index("")  # the pods, then the parts the harness runs beside them
    assert blank == 1 + len(before)
    assert human[blank + 1].split() == ["PART", "HEALTH", "RESTARTS", "PID", "ADDRESS"]
    assert human[blank + 2].split()[:3] == ["controller", "ready", "0"]


def test_pods_get_their_own_port_and_the_manifest_environment(stack: Stack) -> None:
    """Replicas: own PORT, loopback HOST, shared DATA_DIR, ConfigMap/Secret/fieldRef resolved."""
    pods = [p for p in stack.status()["pods"] if p["service"] == "echo"]
    assert len(pods) == 2 and len({p["port"] for p in pods}) == 2
    envs = [_get(p["port"], "/env").json() for p in pods]
    for pod, env in zip(pods, envs, strict=True):
        assert env["PORT"] == str(pod["port"])  # the ConfigMap's PORT=8080 does not win
        assert env["HOST"] == "127.0.0.1"
        assert env["POD_NAME"] == pod["name"]
        assert env["GREETING_TWICE"] == "hello hello"
        assert env["SERVICE_VERSION"] == "v1"
        assert env["BACKEND_SERVICE_HOST"] == "127.0.0.1"
        assert env["ECHO_SERVICE_PORT"] == str(stack.gateway_port)
    assert envs[0]["DATA_DIR"] == envs[1]["DATA_DIR"] == str(stack.state / "data" / "echo")
    key = envs[0]["API_KEY"]
    assert len(key) == 32 and key == envs[1]["API_KEY"]
    assert key not in (FIXTURES / "local" / "secrets.yaml").read_text()
    backend_port = int(envs[0]["BACKEND_SERVICE_PORT"])
    backend = next(p for p in stack.status()["pods"] if p["service"] == "backend")
    assert _get(backend_port, "/whoami").json()["port"] == str(backend["port"])


def test_sigkill_of_a_pod_restarts_it_and_counts(stack: Stack) -> None:
    pod = next(p for p in stack.status()["pods"] if p["service"] == "echo")
    os.kill(int(pod["pid"]), signal.SIGKILL)
    after = eventually(
        lambda: (p := _pod(stack, str(pod["name"]))) and p["ready"] and p["pid"] != pod["pid"] and p
    )
    assert after["restarts"] == int(pod["restarts"]) + 1
    assert after["port"] == pod["port"]
    log = run_cli("logs", str(pod["name"]), "--state-dir", str(stack.state)).stdout
    assert "container exited with code -9; restart" in log


def test_unready_pod_leaves_the_endpoints_and_comes_back(stack: Stack) -> None:
    """Readiness failure: out of the Service (the gateway stops sending to it), no restart."""
    with stack.client() as client:
        ep = next(e for e in client.endpoints(service="echo") if e.ready)
        restarts = next(p.restarts for p in client.pods() if p.name == ep.pod)
        version, _ = client.watch_endpoints(-1)  # answers at once: the current version
        _post(ep.port, "/knobs?ready=0")
        changed, _ = client.watch_endpoints(version, service="echo", timeout=10)
        assert changed > version  # a watcher (the mesh) hears of the change without polling
        eventually(
            lambda: not next(e for e in client.endpoints(service="echo") if e.pod == ep.pod).ready
        )
        seen = {_get(stack.gateway_port, "/whoami").json()["pod"] for _ in range(6)}
        assert ep.pod not in seen and len(seen) == 1
        _post(ep.port, "/knobs?ready=1")
        eventually(
            lambda: next(e for e in client.endpoints(service="echo") if e.pod == ep.pod).ready
        )
        assert next(p.restarts for p in client.pods() if p.name == ep.pod) == restarts
        seen = {_get(stack.gateway_port, "/whoami").json()["pod"] for _ in range(6)}
        assert ep.pod in seen
        assert ep.to_json().keys() >= {
            "service",
            "pod",
            "ip",
            "port",
            "ready",
            "labels",
            "serviceAccount",
        }


def test_liveness_failure_restarts_the_pod(stack: Stack) -> None:
    with stack.client() as client:
        pod = next(p for p in client.pods(service="echo") if p.ready)
        _post(pod.port, "/knobs?live=0")
        after = eventually(
            lambda: next(
                (
                    p
                    for p in client.pods()
                    if p.name == pod.name and p.restarts > pod.restarts and p.ready
                ),
                None,
            )
        )
        assert after.pid != pod.pid and after.phase is PodPhase.RUNNING
    log = run_cli("logs", pod.name, "--state-dir", str(stack.state)).stdout
    assert "liveness probe failed" in log


def test_delete_and_scale_like_kubectl(stack: Stack) -> None:
    """A deleted pod is replaced under a new name; scale changes the replica count."""
    with stack.client() as client:
        cluster: Cluster = client  # the local client is a `harness.contracts.cluster.Cluster`
        victim = cluster.pods(service="backend")[0]
        client.delete_pod(victim.name, grace_period=0)
        new = eventually(lambda: [p for p in client.pods(service="backend") if p.ready])
        assert [p.name for p in new] != [victim.name] and new[0].restarts == 0
        client.scale("echo", 3)
        eventually(lambda: len([p for p in client.pods(service="echo") if p.ready]) == 3)
        client.scale("echo", 2)
        eventually(lambda: len(client.pods(service="echo")) == 2)


def test_prometheus_scrapes_every_pod(stack: Stack) -> None:
    """`up == 1` for every pod, labelled with namespace, pod, service and version."""
    url = f"http://127.0.0.1:{stack.prometheus_port}/api/v1/query"

    def all_up() -> bool:
        pods = {p["name"]: p for p in stack.status()["pods"] if p["ready"]}
        result = httpx.get(url, params={"query": 'up{job="pods"}'}, trust_env=False).json()
        series = {r["metric"]["pod"]: r for r in result["data"]["result"] if r["value"][1] == "1"}
        return bool(pods) and all(
            name in series
            and series[name]["metric"]["service"] == p["service"]
            and series[name]["metric"]["version"] == p["version"]
            and series[name]["metric"]["namespace"] == "default"
            for name, p in pods.items()
        )

    eventually(all_up, timeout=20, interval=0.5)


def test_prometheus_has_ready_pods_under_kube_state_metrics_names(stack: Stack) -> None:
    """The Ready pods chart's query answers locally as on a cluster with kube-state-metrics:
    one series per Deployment, equal to its ready replicas, and restarts per pod."""
    url = f"http://127.0.0.1:{stack.prometheus_port}/api/v1/query"

    def query(q: str) -> dict[str, float]:
        result = httpx.get(url, params={"query": q}, trust_env=False).json()["data"]["result"]
        return {
            r["metric"].get("deployment") or r["metric"]["pod"]: float(r["value"][1])
            for r in result
        }

    def matches() -> bool:
        ready = {d["name"]: d["readyReplicas"] for d in stack.status()["deployments"]}
        seen = query("sum by (deployment) (kube_deployment_status_replicas_ready)")
        return bool(ready) and seen == {k: float(v) for k, v in ready.items()}

    eventually(matches, timeout=20, interval=0.5)
    restarts = query("kube_pod_container_status_restarts_total")
    pods = {p["name"]: p["restarts"] for p in stack.status()["pods"]}
    assert set(pods) <= set(restarts)
    assert all(restarts[name] <= pods[name] for name in pods)  # the scrape may lag a restart


def test_a_crashing_container_backs_off_exponentially(stack: Stack) -> None:
    """Exit at once, again and again: CrashLoopBackOff, restarts grow, the delay doubles."""
    with stack.client() as client:
        client.scale("crasher", 1)
        try:
            pod = eventually(
                lambda: next((p for p in client.pods(service="crasher") if p.restarts >= 3), None)
            )
            assert pod.phase in (PodPhase.CRASH_LOOP, PodPhase.RUNNING) and not pod.ready
            log = run_cli("logs", pod.name, "--state-dir", str(stack.state)).stdout
            assert "container exited with code 3; restart 1 in 0.3s" in log
            assert "restart 2 in 0.6s" in log and "restart 3 in 1.2s" in log
            assert all(not e.ready for e in client.endpoints() if e.pod == pod.name)
        finally:
            client.scale("crasher", 0)
        eventually(lambda: not client.pods(service="crasher"))


def test_the_startup_probe_gates_readiness_and_restarts_when_it_fails(stack: Stack) -> None:
    """Until /health/startup passes the pod is not ready, even though /health/ready says 200;
    a startup probe that keeps failing kills and restarts the container."""
    with stack.client() as client:
        client.scale("slow", 1)
        client.scale("never-starts", 1)
        try:
            slow = eventually(lambda: client.pods(service="slow"))[0]
            eventually(lambda: _get_or_none(slow.port, "/health/ready"))
            assert _get(slow.port, "/health/startup").status_code == 503
            assert not next(p for p in client.pods(service="slow")).ready
            eventually(lambda: client.pods(service="slow")[0].ready)
            stuck = eventually(
                lambda: next(
                    (p for p in client.pods(service="never-starts") if p.restarts >= 1), None
                )
            )
            assert not stuck.ready
            log = run_cli("logs", stuck.name, "--state-dir", str(stack.state)).stdout
            assert "startup probe failed" in log
        finally:
            client.scale("slow", 0)
            client.scale("never-starts", 0)
        eventually(
            lambda: not client.pods(service="slow") and not client.pods(service="never-starts")
        )


def _get_or_none(port: int, path: str) -> httpx.Response | None:
    try:
        r = _get(port, path)
    except httpx.HTTPError:
        return None
    return r if r.status_code == 200 else None
