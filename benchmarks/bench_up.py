"""Benchmark: `harness up` to all pods ready, and the controller's idle CPU.

    python benchmarks/bench_up.py [--manifests deploy/kubernetes] [--local-config deploy/local]
                                  [--runs 3] [--idle 10]

Each run starts the stack in a fresh state folder on free ports (with Prometheus), measures the
wall time of `harness up` (it returns once every Deployment is available and Prometheus is
ready), then samples the controller's CPU time over `--idle` seconds, then `harness down`.
Targets (issue 3): up <= 5 s on 2 cores; idle CPU < 2 % of one core.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's harness, not another installed one

from harness.cluster.local.testing import StackPorts, cli, down, up_argv  # noqa: E402

UP_TARGET_S = 5.0
IDLE_TARGET_PCT = 2.0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> str:
    """The load average: how much of the machine others were using (it is shared)."""
    return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


def one_run(manifests: Path, local: Path, idle: float) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        args = up_argv(state, manifests=manifests, local_config=local, ports=StackPorts.free())
        started = time.monotonic()
        out = cli(*args)
        up_s = time.monotonic() - started
        try:
            if out.returncode != 0:
                raise SystemExit(f"harness up failed: {out.stderr.strip()}")
            pods = sum(d["replicas"] for d in json.loads(out.stdout)["deployments"])
            pid = int(json.loads((state / "controller.json").read_text())["pid"])
            time.sleep(1.0)  # let the first Prometheus discovery round settle
            before, t0 = _cpu_seconds(pid), time.monotonic()
            time.sleep(idle)
            cpu_pct = 100.0 * (_cpu_seconds(pid) - before) / (time.monotonic() - t0)
        finally:
            down(state)
        return up_s, cpu_pct, pods


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--manifests", type=Path, default=Path("deploy/kubernetes"))
    p.add_argument("--local-config", type=Path, default=Path("deploy/local"))
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--idle", type=float, default=10.0)
    a = p.parse_args()
    ups, cpus = [], []
    pods = 0
    print(_load())
    for i in range(a.runs):
        up_s, cpu, pods = one_run(a.manifests.resolve(), a.local_config.resolve(), a.idle)
        ups.append(up_s)
        cpus.append(cpu)
        print(f"run {i + 1}: up {up_s:.2f} s, controller idle CPU {cpu:.2f} % ({pods} pods)")
    up_med, cpu_med = statistics.median(ups), statistics.median(cpus)
    print(f"cpus: {os.cpu_count()}, pods: {pods}, runs: {a.runs}, {_load()}")
    print(
        f"up to all ready (median): {up_med:.2f} s; target {UP_TARGET_S:g} s; "
        f"ratio {up_med / UP_TARGET_S:.2f}"
    )
    print(
        f"controller idle CPU (median): {cpu_med:.2f} % of a core; target "
        f"{IDLE_TARGET_PCT:g} %; ratio {cpu_med / IDLE_TARGET_PCT:.2f}"
    )


if __name__ == "__main__":
    main()
