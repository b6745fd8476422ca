"""The local autoscaler at work: a real stack, real Prometheus, load through the Service.

The echo fixture counts its requests (`app_requests_total`); an HPA on the Pods metric
`app_requests_per_second` (target 20 per pod) scales it 1 -> 3 under ~100 requests per second
and back once the load stops. `--hpa-interval 1s --hpa-time-scale 10` make the seed-sized
windows and periods short enough for a test: a 15 s policy period lasts 1.5 s.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from harness.process import free_port
from tests.cluster.conftest import FIXTURES, Stack, run_cli, stop_state, up_args
from tests.waiting import eventually

pytestmark = pytest.mark.integration

HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: echo-hpa}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: echo}
  minReplicas: 1
  maxReplicas: 3
  metrics:
    - type: Pods
      pods:
        metric: {name: app_requests_per_second}
        target: {type: AverageValue, averageValue: "20"}
  behavior:
    scaleUp:
      policies: [{type: Pods, value: 1, periodSeconds: 15}]
    scaleDown:
      stabilizationWindowSeconds: 60
      policies: [{type: Percent, value: 100, periodSeconds: 15}]
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("autoscale")
    manifests = root / "manifests"
    shutil.copytree(FIXTURES / "kubernetes", manifests)
    (manifests / "echo.yaml").write_text(
        (manifests / "echo.yaml").read_text().replace("replicas: 2", "replicas: 1", 1)
    )
    (manifests / "echo-hpa.yaml").write_text(HPA)
    state = root / "state"
    admin, gateway, prom = free_port(), free_port(), free_port()
    args = up_args(state, admin=admin, gateway=gateway, prometheus=prom, manifests=manifests)
    try:
        out = run_cli(*args, "--hpa-interval", "1s", "--hpa-time-scale", "10")
        yield Stack(state, admin, gateway, prom, json.loads(out.stdout))
    finally:
        stop_state(state)


def _echo(stack: Stack) -> list[dict[str, object]]:
    return [p for p in stack.status()["pods"] if p["service"] == "echo" and p["ready"]]


def _hpa(stack: Stack) -> dict[str, object]:
    autoscalers = stack.status()["autoscalers"]
    assert [a["name"] for a in autoscalers] == ["echo-hpa"]
    return dict(autoscalers[0])


class _Load(threading.Thread):
    """About 100 requests per second through the echo Service's stable address."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port, self.stop = port, threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", trust_env=False) as c:
            while not self.stop.is_set():
                c.get("/whoami", timeout=2.0)
                time.sleep(0.01)


def test_the_pods_cpu_and_memory_are_in_prometheus_under_cadvisor_names(stack: Stack) -> None:
    url = f"http://127.0.0.1:{stack.prometheus_port}/api/v1/query"

    def series(query: str) -> list[dict[str, object]]:
        data = httpx.get(url, params={"query": query}, trust_env=False).json()["data"]
        return list(data["result"])

    cpu = eventually(
        lambda: series('rate(container_cpu_usage_seconds_total{container="echo"}[10s])'),
        timeout=30,
    )
    assert {r["metric"]["job"] for r in cpu} == {"kubelet"}  # type: ignore[index]  # JSON
    memory = series('container_memory_working_set_bytes{container="echo"}')
    assert memory and all(float(r["value"][1]) > 5e6 for r in memory)  # type: ignore[index]  # JSON


def test_load_scales_out_one_pod_per_period_and_back_in_after_the_window(stack: Stack) -> None:
    with stack.client() as client:
        port = next(x.listen_port for x in client.listeners() if x.service == "echo")
    first = eventually(lambda: _hpa(stack)["lastDecision"], timeout=20)
    assert first is not None
    load = _Load(port)
    load.start()
    try:
        eventually(lambda: len(_echo(stack)) == 3, timeout=90, interval=0.5)
    finally:
        load.stop.set()
        load.join()
    with stack.client() as client:
        timeline = client.autoscalers()["timeline"]["default/echo-hpa"]
    ups = [d for d in timeline if d["rescale"] and d["desired"] > d["current"]]
    # the policy's bound: one pod per (15 s / 10) period, so two scale-ups, 1 -> 2 -> 3
    assert [(d["current"], d["desired"]) for d in ups] == [(1, 2), (2, 3)]
    assert ups[1]["time"] - ups[0]["time"] >= 1.5
    assert all("app_requests_per_second above target" in d["reason"] for d in ups)
    human = run_cli("status", "--state-dir", str(stack.state)).stdout
    assert "echo-hpa" in human and "Deployment/echo" in human
    # load gone: back to 1 once the 60 s window (6 s here) has passed over the quiet samples
    eventually(lambda: _hpa(stack)["currentReplicas"] == 1, timeout=120, interval=1.0)
    with stack.client() as client:
        timeline = client.autoscalers()["timeline"]["default/echo-hpa"]
    downs = [d for d in timeline if d["rescale"] and d["desired"] < d["current"]]
    assert downs and downs[-1]["desired"] == 1
    assert downs[0]["reason"].startswith("All metrics below target")
