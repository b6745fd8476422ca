"""A load spike as a Chaos Toolkit action: extra request loops against one URL for a while.

For scenarios whose "fault" is traffic, not breakage (`load-spike-autoscale`): the scenario's
Locust load keeps the base level, and this action adds `concurrency` loops of back-to-back GETs
for `seconds`, then returns the counts. It talks plain HTTP to the gateway, so it runs the same
with plain `chaos run`, `harness run --target local` and `--target kubernetes`:

    provider: {type: python, module: harness.chaos.load_spike, func: spike,
               arguments: {url: "${gateway_url}/api/v1/users?limit=20", concurrency: 4,
                           seconds: 20}}
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import httpx

__all__ = ["spike"]


def spike(
    url: str,
    rate: float = 10.0,
    seconds: float = 20.0,
    concurrency: int = 4,
    method: str = "GET",
    body: dict[str, Any] | None = None,
    timeout: float = 5.0,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`rate` requests per second to `url` for `seconds`, from `concurrency` paced loops.

    A loop that falls behind (slow answers) does not catch up in a burst: the rate is a
    ceiling. Returns {"requests", "rps", "statuses": {"200": n, "error": n}}; never raises for a
    failed request (a spike that overloads the target is the point), only for bad arguments.
    Keep `rate` under the gateway's rate limit (deploy/kubernetes/kong.yaml) minus the base
    load, or the spike turns into 429s.
    """
    if concurrency < 1 or seconds <= 0 or rate <= 0:
        raise ValueError("rate > 0, seconds > 0 and concurrency >= 1")
    every = concurrency / rate
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop() -> None:
        local: Counter[str] = Counter()
        with httpx.Client(timeout=timeout, headers=headers or {}, trust_env=False) as client:
            due = time.monotonic()
            while due < deadline:
                try:
                    local[str(client.request(method, url, json=body).status_code)] += 1
                except httpx.HTTPError:
                    local["error"] += 1
                due = max(due + every, time.monotonic())
                time.sleep(max(0.0, due - time.monotonic()))
        with lock:
            counts.update(local)

    started = time.monotonic()
    threads = [threading.Thread(target=loop, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + timeout + 5.0)
    total = sum(counts.values())
    return {
        "requests": total,
        "rps": round(total / max(time.monotonic() - started, 1e-9), 1),
        "statuses": dict(counts),
    }
