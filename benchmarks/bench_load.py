"""Requests per second per load-generator core: our Locust set-up against `wrk`, same endpoint.

    /work/venv/bin/python benchmarks/bench_load.py [--duration 8] [--users 50]

A trivial keep-alive HTTP endpoint (asyncio + uvloop, fixed 200 answer) runs pinned to one core;
each generator runs pinned to the other: `wrk -t1`; Locust's FastHttpUser plain
(`self.client.get`); FastHttpUser with `catch_response` + `record()` (loadtests/common/outcome.py,
which names every failure's cause; our set-up before `LeanHttpUser`); and our set-up as
loadtests/locustfile.py uses it: `LeanHttpUser` (loadtests/common/client.py), a named request with
`catch_response` + `record()`. Every Locust request is recorded in Locust's statistics.
"Per core" is requests per CPU-second of the generator itself (rusage for wrk; /proc samples in
Locust's steady state, so interpreter start-up and spawning do not count), which depends much
less on how busy the shared machine is than wall-clock rates. Each Locust generator runs
`--rounds` times, interleaved, and the median is reported. Target: at least 10,000 requests/s
per Locust core.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import resource
import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.process import free_port, spawn, stop, wait_for_port  # noqa: E402

SERVER = textwrap.dedent(
    """
    import asyncio, sys, uvloop
    BODY = b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nContent-Type: text/plain\\r\\n\\r\\nok"
    class Answer(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport, self.buffer = transport, b""
        def data_received(self, data):
            self.buffer += data
            count = self.buffer.count(b"\\r\\n\\r\\n")
            if count:
                self.buffer = self.buffer[self.buffer.rfind(b"\\r\\n\\r\\n") + 4:]
                self.transport.write(BODY * count)
    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Answer, "127.0.0.1", int(sys.argv[1]), backlog=1024)
        await server.serve_forever()
    uvloop.run(main())
    """
)

PLAIN = textwrap.dedent(
    """
    from locust import task, constant
    from locust.contrib.fasthttp import FastHttpUser
    class Plain(FastHttpUser):
        wait_time = constant(0)
        @task
        def hit(self):
            self.client.get("/")
    """
)

FAST_RECORD = textwrap.dedent(
    f"""
    import sys
    sys.path.insert(0, {str(ROOT / "loadtests")!r})
    from common.outcome import record
    from locust import task, constant
    from locust.contrib.fasthttp import FastHttpUser
    class FastRecord(FastHttpUser):
        wait_time = constant(0)
        @task
        def hit(self):
            with self.client.get("/", name="/", catch_response=True) as response:
                record(response)
    """
)

# as Shopper._call in loadtests/locustfile.py sends each request
OURS = textwrap.dedent(
    f"""
    import sys
    sys.path.insert(0, {str(ROOT / "loadtests")!r})
    from common.client import LeanHttpUser
    from common.outcome import record
    from locust import task, constant
    class Ours(LeanHttpUser):
        wait_time = constant(0)
        network_timeout = connection_timeout = 10.0
        @task
        def hit(self):
            with self.client.request(
                "GET", "/", name="GET /", headers={{}}, catch_response=True
            ) as response:
                record(response, (200,))
    """
)

GENERATORS = (
    ("locust FastHttpUser (plain)", PLAIN, "plain"),
    ("locust FastHttpUser + record()", FAST_RECORD, "fast_record"),
    ("ours: LeanHttpUser + record()", OURS, "ours"),
)


def _pin(core: int) -> list[str]:
    return (
        ["taskset", "-c", str(core)]
        if shutil.which("taskset") and (os.cpu_count() or 1) > 1
        else []
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _proc_cpu(pid: int) -> float | None:
    """CPU seconds used so far by `pid` (utime + stime from /proc), None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_wrk(url: str, duration: int, connections: int, work: Path) -> tuple[float, float]:
    """(req/s, req/s per CPU-second) of `wrk -t1` pinned to core 0."""
    log = work / "wrk.log"
    before = _children_cpu()
    proc = spawn([*_pin(0), "wrk", "-t1", f"-c{connections}", f"-d{duration}s", url], log_path=log)
    try:
        proc.wait(timeout=duration + 30)
    finally:
        stop(proc)
    cpu = _children_cpu() - before
    match = re.search(r"Requests/sec:\s+([\d.]+)", log.read_text())
    if not match:
        raise SystemExit(f"wrk printed no rate: {log.read_text()}")
    rps = float(match.group(1))
    return rps, rps * duration / cpu if cpu else float("nan")


def bench_locust(
    url: str, duration: int, users: int, source: str, name: str, work: Path
) -> tuple[float, float, float]:
    """(req/s, req/s per CPU-second in steady state, failure ratio) of one pinned Locust."""
    locustfile = work / f"{name}.py"
    locustfile.write_text(source)
    prefix = work / name
    argv = [
        *_pin(0),
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
        "--headless",
        "--host",
        url,
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        f"{duration}s",
        "--csv",
        str(prefix),
        "--only-summary",
        "--exit-code-on-error",
        "0",
    ]
    proc = spawn(argv, log_path=work / f"{name}.log")
    samples: list[tuple[float, float]] = []
    try:
        deadline = time.monotonic() + duration + 60
        while proc.poll() is None and time.monotonic() < deadline:
            cpu = _proc_cpu(proc.pid)
            if cpu is not None:
                samples.append((time.time(), cpu))
            time.sleep(0.25)
    finally:
        stop(proc)
    with open(f"{prefix}_stats.csv", newline="") as fh:
        total = next(r for r in csv.DictReader(fh) if r["Name"] == "Aggregated")
    with open(f"{prefix}_stats_history.csv", newline="") as fh:
        history = [
            (float(r["Timestamp"]), int(r["Total Request Count"]))
            for r in csv.DictReader(fh)
            if r["Name"] == "Aggregated"
        ]
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])

    def cpu_at(moment: float) -> float:
        return min(samples, key=lambda s: abs(s[0] - moment))[1]

    # steady state: from 2 s after the first history row to the last one
    (t0, n0) = next(h for h in history if h[0] >= history[0][0] + 2)
    (t1, n1) = history[-1]
    spent = cpu_at(t1) - cpu_at(t0)
    per_core = (n1 - n0) / spent if spent > 0 else float("nan")
    return float(total["Requests/s"]), per_core, failures / max(requests, 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "server.py").write_text(SERVER)
        server = spawn(
            [*_pin(1), sys.executable, str(work / "server.py"), str(port)],
            log_path=work / "server.log",
        )
        try:
            if not wait_for_port(port, timeout=10):
                raise SystemExit("trivial server did not start")
            load_before = os.getloadavg()[0]
            wrk_rps, wrk_core = bench_wrk(url + "/", args.duration, args.users, work)
            runs: dict[str, list[tuple[float, float, float]]] = {n: [] for _, _, n in GENERATORS}
            for round_ in range(args.rounds):
                for _, source, name in GENERATORS:
                    result = bench_locust(
                        url, args.duration, args.users, source, f"{name}{round_}", work
                    )
                    runs[name].append(result)
        finally:
            stop(server)
    load = os.getloadavg()
    print(
        f"cores: {os.cpu_count()}  load average: {load_before:.1f} at start, {load[0]:.1f} at end  "
        f"duration: {args.duration}s  connections/users: {args.users}  rounds: {args.rounds}"
    )
    header = f"{'generator':<34}{'req/s':>10}{'req/s per core':>16}{'failures':>10}"
    print(f"{header}   per core, each round")
    print(f"{'wrk -t1':<34}{wrk_rps:>10.0f}{wrk_core:>16.0f}{'-':>10}")
    median: dict[str, float] = {}
    for label, _, name in GENERATORS:
        results = sorted(runs[name], key=lambda r: r[1])
        middle = results[len(results) // 2]
        median[name] = middle[1]
        each = " ".join(f"{r[1]:.0f}" for r in runs[name])
        print(f"{label:<34}{middle[0]:>10.0f}{middle[1]:>16.0f}{middle[2]:>10.1%}   {each}")
    print(f"ratio ours/wrk (req/s per core): {median['ours'] / wrk_core:.3f}")
    print(f"ratio FastHttpUser plain/wrk (req/s per core): {median['plain'] / wrk_core:.3f}")
    print(f"ratio ours/FastHttpUser + record(): {median['ours'] / median['fast_record']:.2f}")
    verdict = "meets" if median["ours"] >= 10_000 else "misses"
    print(f"our set-up {verdict} the target of 10,000 req/s per Locust core ({median['ours']:.0f})")


if __name__ == "__main__":
    main()
