"""Requests per second per load-generator core: our Locust set-up against `wrk`, same endpoint;
the latency recorder's cost per request; the open-model pacer's achieved rate and lag.

    .venv/bin/python benchmarks/bench_load.py [--duration 8] [--users 50] [--only rps]
    .venv/bin/python benchmarks/bench_load.py --only recorder     # µs per request
    .venv/bin/python benchmarks/bench_load.py --only pacer        # 2,000/s for 30 s, one core

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


# The listener as Locust calls it, against a listener that does nothing with the same
# arguments, in one process; plus the once-a-second drain (encoding), spread over the requests.
RECORDER = textwrap.dedent(
    f"""
    import sys, time
    sys.path.insert(0, {str(ROOT / "loadtests")!r})
    from common import latency
    def noop(request_type, name, response_time, exception=None, start_time=None, **_):
        return None
    N, NAMES = 300_000, [f"GET /api/v1/route{{i}}" for i in range(12)]
    def run(fn):
        now = time.time()
        began = time.perf_counter()
        for i in range(N):
            fn(request_type="GET", name=NAMES[i % 12], response_time=3.0 + (i % 997) * 0.37,
               response_length=2, response=None, context={{}}, exception=None,
               start_time=now + i / 10_000, url="/")
        return time.perf_counter() - began
    base = min(run(noop) for _ in range(3))
    best = None
    for _ in range(3):
        spent = run(latency._on_request)
        began = time.perf_counter()
        lines = latency.RECORDER.drain()
        spent += time.perf_counter() - began
        best = spent if best is None else min(best, spent)
    print(f"{{base / N * 1e6:.3f}} {{best / N * 1e6:.3f}} {{len(lines)}}")
    """
)


def bench_recorder(work: Path) -> None:
    script = work / "recorder.py"
    script.write_text(RECORDER)
    proc = spawn([*_pin(0), sys.executable, str(script)], log_path=work / "recorder.log")
    proc.wait(timeout=300)
    base, listener, lines = (work / "recorder.log").read_text().split()[-3:]
    cost = float(listener) - float(base)
    print(f"load average {os.getloadavg()[0]:.1f}; 300,000 requests, 12 names, 30 s of seconds")
    print(f"no-op listener: {float(base):.3f} µs/request; recorder: {float(listener):.3f} µs")
    verdict = "meets" if cost <= 5 else "misses"
    print(f"recorder cost per request: {cost:.3f} µs ({lines} lines); {verdict} the 5 µs target")


def bench_pacer(
    url: str, work: Path, *, rate: int = 2000, duration: int = 30, pin: bool = True
) -> None:
    """The open model at `rate` arrivals/s for `duration` s, the generator pinned to one core
    (unless `pin` is off: on a shared machine the pinned core may be someone else's)."""
    sys.path.insert(0, str(ROOT))
    from harness.load.latency import LatencyRecord

    locustfile = work / "pacer.py"
    locustfile.write_text(OURS)
    prefix = work / "pacer"
    argv = [
        *(_pin(0) if pin else []), sys.executable, "-m", "locust", "-f", str(locustfile),
        "--headless",
        "--host", url, "-u", "20", "-r", "20", "-t", f"{duration + 3}s", "--csv", str(prefix),
        "--only-summary", "--exit-code-on-error", "0", "--arrival-rate", str(rate),
    ]  # fmt: skip
    load_before = os.getloadavg()[0]
    proc = spawn(argv, log_path=work / "pacer.log")
    try:
        proc.wait(timeout=duration + 90)
    finally:
        stop(proc)
    record = LatencyRecord.read(prefix)
    seconds = record.per_second(0, time.time())
    if not seconds:
        raise SystemExit(f"no requests recorded: {(work / 'pacer.log').read_text()[-400:]}")
    start = seconds[0][0] + 2  # after the sessions' start
    pacer = record.pacer(start, start + duration)
    if pacer is None:
        raise SystemExit(f"no pacer records: {(work / 'pacer.log').read_text()[-400:]}")
    ratio = pacer.sent / pacer.target if pacer.target else float("nan")
    cpu = _children_cpu()
    print(
        f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}; open model, {rate}/s asked, "
        f"{pacer.seconds} s judged; generator CPU {cpu:.1f} s (start-up included)"
    )
    print(
        f"achieved/target: {pacer.sent}/{pacer.target:.0f} = {ratio:.4f}; schedule lag p99 "
        f"{pacer.p99_lag_ms} ms, max {pacer.max_lag_ms} ms"
    )
    lag_ok = pacer.p99_lag_ms is not None and pacer.p99_lag_ms < 5
    verdict = "meets" if ratio >= 0.99 and lag_ok else "misses"
    print(f"{verdict} the target (achieved/target >= 0.99, p99 lag < 5 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("rps", "recorder", "pacer"), default=None)
    parser.add_argument("--rate", type=int, default=2000, help="pacer: arrivals per second")
    parser.add_argument("--pacer-seconds", type=int, default=30)
    parser.add_argument("--no-pin", action="store_true", help="pacer: let the OS pick the core")
    args = parser.parse_args()
    if args.only == "recorder":
        with tempfile.TemporaryDirectory() as tmp:
            bench_recorder(Path(tmp))
        return
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
            if args.only == "pacer":
                bench_pacer(
                    url, work, rate=args.rate, duration=args.pacer_seconds, pin=not args.no_pin
                )
                return
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
