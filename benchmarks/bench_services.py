"""Baseline: order throughput and latency with the four services called directly.

Starts user-, inventory-, payment- and order-service as real processes on loopback (one replica
each, SQLite files in a temporary folder), then measures:

1. each downstream call order-service makes, alone, one at a time (p50 per hop);
2. orders one at a time: p50, and its ratio to the sum of the hop p50s (the saga's overhead);
3. orders from `--concurrency` callers for `--duration` seconds: throughput, p50, p99, errors.

Later issues compare the gateway, the mesh and the load generators against these numbers.

    /work/venv/bin/python benchmarks/bench_services.py [--duration 15] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "target-services" / "shared"))
sys.path.insert(0, str(ROOT))

from harness.process import free_port, spawn, stop  # noqa: E402
from svc_common import testing  # noqa: E402


@dataclass(frozen=True)
class Sample:
    seconds: float
    status: int


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


async def timed(call: Callable[[], Awaitable[httpx.Response]]) -> Sample:
    start = time.perf_counter()
    response = await call()
    return Sample(time.perf_counter() - start, response.status_code)


async def make_users(client: httpx.AsyncClient, users_url: str, count: int) -> list[str]:
    ids = []
    for i in range(count):
        body = {"email": f"bench{i}@example.com", "first_name": "B", "password": "bench-pass-1"}
        created = await client.post(f"{users_url}/api/v1/users", json=body)
        user_id = created.json()["id"]
        await client.post(f"{users_url}/api/v1/users/{user_id}/activate")
        ids.append(user_id)
    return ids


async def hops(
    client: httpx.AsyncClient, urls: dict[str, str], user: str, n: int
) -> dict[str, float]:
    """p50 of each call order-service makes for one order, each made directly."""
    lines = {"items": [{"sku": "SKU-0001", "quantity": 1}]}
    inv = urls["inventory-service"]
    calls: dict[str, Callable[[int], Callable[[], Awaitable[httpx.Response]]]] = {
        "GET user": lambda i: lambda: client.get(f"{urls['user-service']}/api/v1/users/{user}"),
        "POST check": lambda i: lambda: client.post(f"{inv}/api/v1/inventory/check", json=lines),
        "POST reserve": lambda i: (
            lambda: client.post(
                f"{inv}/api/v1/inventory/reservations",
                json=lines,
                headers={"Idempotency-Key": f"hop-{i}"},
            )
        ),
        "POST payment": lambda i: (
            lambda: client.post(
                f"{urls['payment-service']}/api/v1/payments",
                json={"user_id": user, "amount": "24.90", "method": "card"},
                headers={"Idempotency-Key": f"hop-{i}"},
            )
        ),
    }
    out = {}
    for name, make in calls.items():
        samples = [await timed(make(i)) for i in range(n)]
        out[name] = statistics.median(s.seconds for s in samples)
    return out


async def orders(
    client: httpx.AsyncClient, url: str, users: list[str], concurrency: int, duration: float
) -> tuple[list[Sample], float]:
    deadline = time.perf_counter() + duration
    samples: list[Sample] = []

    async def worker(k: int) -> None:
        i = k
        while time.perf_counter() < deadline:
            body = {
                "user_id": users[i % len(users)],
                "items": [{"sku": f"SKU-000{1 + i % 8}", "quantity": 1}],
                "payment_method": "card",
            }
            post = functools.partial(client.post, f"{url}/api/v1/orders", json=body)
            samples.append(await timed(post))
            i += concurrency

    start = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    return samples, time.perf_counter() - start


async def measure(urls: dict[str, str], args: argparse.Namespace) -> None:
    limits = httpx.Limits(max_connections=args.concurrency + 8)
    async with httpx.AsyncClient(timeout=30, limits=limits, trust_env=False) as client:
        users = await make_users(client, urls["user-service"], 20)
        # warm-up: connection pools, SQLite caches
        await orders(client, urls["order-service"], users, 4, 1.0)
        hop = await hops(client, urls, users[0], args.samples)
        single, _ = await orders(client, urls["order-service"], users, 1, args.duration / 3)
        many, elapsed = await orders(
            client, urls["order-service"], users, args.concurrency, args.duration
        )
    one = statistics.median(s.seconds for s in single)
    ok = [s.seconds for s in many if s.status == 201]
    errors = Counter(s.status for s in many if s.status != 201)
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print("\nDownstream calls made directly, one at a time (p50):")
    for name, value in hop.items():
        print(f"  {name:<14} {ms(value)}")
    print(f"  {'sum':<14} {ms(sum(hop.values()))}")
    print(f"\nOrders one at a time: p50 {ms(one)} ({len(single)} orders)")
    print(f"  ratio order p50 / sum of hop p50s: {one / sum(hop.values()):.2f}")
    print(f"\nOrders, {args.concurrency} concurrent callers, {elapsed:.1f} s:")
    print(f"  throughput     {len(ok) / elapsed:.1f} orders/s ({len(ok)} confirmed)")
    print(f"  latency        p50 {ms(pct(ok, 0.50))}, p99 {ms(pct(ok, 0.99))}")
    print(f"  errors         {dict(errors) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of concurrent load")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent callers")
    parser.add_argument("--samples", type=int, default=200, help="calls per direct hop")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-services-"))
    ports = {name: free_port() for name in testing.SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    procs = []
    try:
        for name in testing.SERVICES:
            env = testing.environment(
                name,
                port=ports[name],
                data_dir=root / name,
                urls=urls,
                extra={"LOG_LEVEL": "warning"},
            )
            procs.append(spawn(testing.command(name), env=env, log_path=root / f"{name}.log"))
        for url in urls.values():
            testing.wait_started(url)
        asyncio.run(measure(urls, args))
    finally:
        for proc in procs:
            stop(proc)
    print(f"\nlogs and databases: {root}")


if __name__ == "__main__":
    main()
