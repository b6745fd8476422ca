"""cAdvisor names for the pods' usage, read from /proc of the pod's process group."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from harness import process
from harness.autoscale import MetricSpec, MetricTarget, SourceType, TargetType
from harness.cluster.local.cadvisor import ContainerRef, Usage, export, read_usage, render
from harness.cluster.local.hpa_metrics import query_for
from harness.prometheus.server import PrometheusPlan, render_config

# a pod-like group: a leader that burns CPU and a child in the same group that holds memory
BURN = """
import os, subprocess, sys, time
HOLD = "b = bytearray(40 << 20); import time; time.sleep(30)"
child = subprocess.Popen([sys.executable, "-c", HOLD])
end = time.process_time() + 0.4
while time.process_time() < end:
    pass
print("ready", flush=True)
time.sleep(30)
"""


@pytest.mark.integration
def test_usage_sums_the_whole_process_group(tmp_path: Path) -> None:
    log = tmp_path / "pod.log"
    proc = process.spawn([sys.executable, "-c", BURN], log_path=log)
    try:
        deadline = time.monotonic() + 20
        while "ready" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # the child has touched its 40 MiB
        usage = read_usage(proc.pid)
        assert usage is not None
        assert usage.cpu_seconds >= 0.35
        assert usage.memory_bytes > 40 << 20  # leader + child
    finally:
        process.stop(proc, grace=1.0)
    assert read_usage(proc.pid) is None


def test_render_names_and_labels_as_the_kubelet() -> None:
    ref = ContainerRef(
        "default", "user-service-abc-12345", "user-service", "harness/user-service:1", 1
    )
    text = render([(ref, Usage(1.5, 1024))])
    labels = (
        'namespace="default",pod="user-service-abc-12345",container="user-service",'
        'image="harness/user-service:1"'
    )
    assert f"container_cpu_usage_seconds_total{{{labels}}} 1.500000" in text
    assert f"container_memory_working_set_bytes{{{labels}}} 1024" in text
    assert "# TYPE container_cpu_usage_seconds_total counter" in text


def test_export_leaves_out_pods_without_a_process() -> None:
    text = export([ContainerRef("default", "p", "c", "i", None)])
    assert 'pod="p"' not in text


def test_queries_ask_what_the_adapters_ask() -> None:
    cpu = MetricSpec(SourceType.RESOURCE, "cpu", MetricTarget(TargetType.UTILIZATION, 70))
    rps = MetricSpec(
        SourceType.PODS,
        "http_requests_per_second",
        MetricTarget(TargetType.AVERAGE_VALUE, value_milli=100_000),
    )
    assert query_for(cpu, "default", ["a", "b"]) == (
        'sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="default",'
        'pod=~"a|b",container!="",container!="POD"}[15s]))'
    )
    assert query_for(rps, "default", ["a"]) == (
        'sum by (pod) (rate(http_requests_total{namespace="default",pod=~"a"}[15s]))'
    )


def test_prometheus_scrapes_the_cadvisor_export_as_job_kubelet(tmp_path: Path) -> None:
    import yaml

    plan = PrometheusPlan(
        port=9090,
        admin_port=8001,
        token_file=tmp_path / "t",
        config_file=tmp_path / "p.yml",
        data_dir=tmp_path,
        file_sd_dir=tmp_path,
        log_path=tmp_path / "l",
    )
    jobs = {j["job_name"]: j for j in yaml.safe_load(render_config(plan))["scrape_configs"]}
    assert jobs["kubelet"]["metrics_path"] == "/metrics/cadvisor"
    assert jobs["kubelet"]["honor_labels"] is True
