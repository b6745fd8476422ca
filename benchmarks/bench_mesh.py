"""Direct vs through the mesh vs through gateway + mesh, against the same simple service.

Run: `/work/venv/bin/python benchmarks/bench_mesh.py [--duration 8] [--connections 16]`.
Uses `wrk` (Debian package). Latency is measured with one connection (added time per request,
no queueing); throughput with `--connections` connections. Prints a table and the ratios the
targets are stated in: added p50 per hop <= 0.5 ms; gateway+mesh throughput >= 0.5 * direct.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.mesh.testing import proxy_argv, upstream_argv  # noqa: E402
from harness.process import free_port, spawn, stop, wait_for_port  # noqa: E402

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def wrk(url: str, connections: int, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} non-2xx responses")
    return {"rps": rps, "p50": p50, "p99": p99}


def _fastapi_argv(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "harness.mesh.testing:make_fastapi_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by `pid` (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def _endpoint(service: str, port: int) -> dict[str, object]:
    return {
        "service": service,
        "pod": f"{service}-v1-abcde-fghij",
        "ip": "127.0.0.1",
        "port": port,
        "labels": {"app": service, "version": "v1"},
        "serviceAccount": service,
    }


def _report(
    name: str,
    targets: list[str],
    lat: dict[str, dict[str, float]],
    thr: dict[str, dict[str, float]],
    connections: int,
) -> None:
    print(f"\n{name}")
    print(
        f"{'path':<14}{'p50 (c=1)':>12}{'p99 (c=1)':>12}{'req/s (c=' + str(connections) + ')':>16}"
        f"{'p50':>10}{'p99':>10}{'proxy CPU/req':>15}"
    )
    for k in targets:
        cpu = f"{thr[k]['cpu_us']:.0f} us" if k != "direct" else "-"
        print(
            f"{k:<14}{lat[k]['p50']:>10.3f}ms{lat[k]['p99']:>10.3f}ms{thr[k]['rps']:>16.0f}"
            f"{thr[k]['p50']:>8.3f}ms{thr[k]['p99']:>8.3f}ms{cpu:>15}"
        )
    d = lat["direct"]["p50"]
    print(f"added p50 per hop, mesh:          {lat['mesh']['p50'] - d:.3f} ms (target <= 0.5)")
    print(f"added p50, gateway+mesh (1 hop):  {lat['gateway+mesh']['p50'] - d:.3f} ms")
    print(f"throughput mesh / direct:         {thr['mesh']['rps'] / thr['direct']['rps']:.2f}")
    print(
        f"throughput gateway+mesh / direct: "
        f"{thr['gateway+mesh']['rps'] / thr['direct']['rps']:.2f} (target >= 0.5)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--duration", type=int, default=9, help="seconds per path and mode")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found (apt-get install wrk)")
    load_before = os.getloadavg()[0]
    base = Path(tempfile.mkdtemp(prefix="bench-mesh-"))
    fast, raw, gw, mesh_fast, mesh_raw, admin = (free_port() for _ in range(6))
    (base / "endpoints.json").write_text(
        json.dumps({"endpoints": [_endpoint("bench-service", fast), _endpoint("bench-raw", raw)]})
    )
    (base / "plan.json").write_text(
        json.dumps(
            {
                "admin_port": admin,
                "gateway": {"port": gw},
                "listeners": [
                    {
                        "source_workload": "bench",
                        "source_service_account": "bench",
                        "destination_service": d,
                        "port": p,
                    }
                    for d, p in (("bench-service", mesh_fast), ("bench-raw", mesh_raw))
                ],
            }
        )
    )
    procs = []
    suites = {
        "FastAPI service (like the sample services), GET /plain": {
            "direct": f"http://127.0.0.1:{fast}/plain",
            "mesh": f"http://127.0.0.1:{mesh_fast}/plain",
            "gateway+mesh": f"http://127.0.0.1:{gw}/plain",
        },
        "raw ASGI service (worst case: the upstream costs almost nothing), GET /raw/plain": {
            "direct": f"http://127.0.0.1:{raw}/raw/plain",
            "mesh": f"http://127.0.0.1:{mesh_raw}/raw/plain",
            "gateway+mesh": f"http://127.0.0.1:{gw}/raw/plain",
        },
    }
    results = {}
    try:
        env = {**os.environ, "SERVICE_VERSION": "v1"}
        procs.append(spawn(_fastapi_argv(fast), env=env, log_path=base / "fastapi.log"))
        procs.append(spawn(upstream_argv(raw), env=env, log_path=base / "raw.log"))
        procs.append(
            spawn(
                proxy_argv(
                    str(base / "plan.json"),
                    [str(ROOT / "benchmarks/fixtures/bench-config.yaml")],
                    str(base / "state"),
                    str(base / "endpoints.json"),
                ),
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                cwd=ROOT,
                log_path=base / "mesh.log",
            )
        )
        for port in (fast, raw, gw, mesh_fast, mesh_raw, admin):
            if not wait_for_port(port, timeout=30):
                raise SystemExit(f"port {port} did not open; see {base}")
        proxy_pid = procs[-1].pid
        for name, targets in suites.items():
            for url in targets.values():  # warm up pools and caches
                wrk(url, 4, 1)
            # Rounds interleave the three paths so that load from other processes on the
            # machine hits them alike; each figure is the median over the rounds.
            step = max(1, args.duration // args.rounds)
            lat_runs: dict[str, list[dict[str, float]]] = {k: [] for k in targets}
            thr_runs: dict[str, list[dict[str, float]]] = {k: [] for k in targets}
            for _ in range(args.rounds):
                for k, u in targets.items():
                    lat_runs[k].append(wrk(u, 1, step))
                for k, u in targets.items():
                    before = _cpu_s(proxy_pid)
                    run = wrk(u, args.connections, step)
                    run["cpu_us"] = (_cpu_s(proxy_pid) - before) / (run["rps"] * step) * 1e6
                    thr_runs[k].append(run)
            results[name] = (
                {k: _median(v) for k, v in lat_runs.items()},
                {k: _median(v) for k, v in thr_runs.items()},
            )
    finally:
        for p in reversed(procs):
            stop(p)
    print(
        f"wrk -t1; {args.rounds} interleaved rounds of {max(1, args.duration // args.rounds)} s "
        f"per path (medians); latency with 1 connection, throughput with {args.connections}; "
        f"load average before: {load_before:.2f}"
    )
    for name, (lat, thr) in results.items():
        _report(name, list(suites[name]), lat, thr, args.connections)
    shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
