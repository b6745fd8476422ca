"""Benchmark: one blue-green rollout on the local target, `set-image` to promoted-and-old-pods-gone.

    python benchmarks/bench_rollout.py [--scale 0.05]            # the sample system's user-service
    python benchmarks/bench_rollout.py --fixture [--scale 0.1]   # the fixture Rollout (echo)

Default: the real sample system (deploy/kubernetes: user-service's Rollout, 2 replicas, pre- and
post-promotion `success-rate` analyses of 5 measurements at 60 s, scaleDownDelaySeconds 30),
with analysis intervals scaled by --scale (HARNESS_ROLLOUT_ANALYSIS_SCALE; the delay is never
scaled). A thread sends user reads through the gateway the whole time, a fifth of them with
`x-canary: true` (the preview's traffic, as loadtests/release.py's testers), so the analyses have
a success rate to judge. `--fixture`: tests/cluster/fixtures/rollout/echo.yaml (4 measurements at
20 s, scaleDownDelaySeconds 3), no traffic needed.

Prints the time to each milestone (paused after pre-promotion, Healthy after post-promotion, old
pods gone) and the ratio of the whole to its floor, the time the spec itself asks for (both
analyses' (count - 1) scaled intervals plus the scale-down delay): what the local controller adds
on top of Argo's own waiting. Target (issue 14): under 60 s on user-service.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.cluster.local import testing  # noqa: E402
from harness.cluster.local.client import AdminClient  # noqa: E402

FIXTURES = ROOT / "tests" / "cluster" / "fixtures"
# (manifests, local config, Rollout, new image, env, labels, floor seconds at scale 1 + delay)
TARGETS = {
    "user-service": (
        ROOT / "deploy" / "kubernetes", ROOT / "deploy" / "local", "user-service",
        "harness/user-service:1.0.0", {"SERVICE_VERSION": "v2"}, {"version": "v2"}, 2 * 4 * 60, 30,
    ),
    "echo": (
        FIXTURES / "rollout", FIXTURES / "local", "echo", "harness-test/echo:2.0", {}, {},
        2 * 3 * 20, 3,
    ),
}  # fmt: skip


def _until(check: Callable[[], bool], timeout: float = 240.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return time.monotonic()
        time.sleep(0.1)
    raise SystemExit("timed out")


def _traffic(gateway: str, stop: threading.Event) -> None:
    """About 10 user reads a second through the gateway, every fifth one to the preview."""
    with httpx.Client(base_url=gateway, timeout=5.0, trust_env=False) as http:
        n = 0
        while not stop.is_set():
            headers = {"x-canary": "true"} if n % 5 == 0 else {}
            # a refused call shows in the analysis, which is what is measured
            with contextlib.suppress(httpx.HTTPError):
                http.get("/api/v1/users", params={"limit": 5}, headers=headers)
            n += 1
            stop.wait(0.1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=None, help="default 0.05 (echo: 0.1)")
    parser.add_argument("--fixture", action="store_true", help="the echo fixture Rollout")
    opts = parser.parse_args()
    name = "echo" if opts.fixture else "user-service"
    manifests, local, rollout, image, env, labels, floor_s, delay = TARGETS[name]
    scale = opts.scale if opts.scale is not None else (0.1 if opts.fixture else 0.05)
    stop = threading.Event()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        ports = testing.StackPorts.free(prometheus=True)
        argv = testing.up_argv(
            state, manifests=manifests, local_config=local, ports=ports, timeout=90
        )
        up = testing.cli(*argv, env={"HARNESS_ROLLOUT_ANALYSIS_SCALE": str(scale)}, timeout=150)
        if up.returncode != 0:
            raise SystemExit(up.stderr)
        sender = threading.Thread(
            target=_traffic, args=(f"http://127.0.0.1:{ports.gateway}", stop), daemon=True
        )
        try:
            with AdminClient.from_state(state) as c:
                old = c.rollout(rollout)["revisions"][0]["podTemplateHash"]
                if not opts.fixture:
                    sender.start()
                time.sleep(5)  # Prometheus has scraped the stable pods (and their traffic)
                t0 = time.monotonic()
                c.rollout_action(rollout, "image", {"image": image, "env": env, "labels": labels})
                paused = _until(lambda: c.rollout(rollout)["phase"] == "Paused")
                c.rollout_action(rollout, "promote")
                healthy = _until(lambda: c.rollout(rollout)["phase"] == "Healthy")
                gone = _until(
                    lambda: (
                        not [
                            p for p in c.pods() if p.labels.get("rollouts-pod-template-hash") == old
                        ]
                    )
                )
        finally:
            stop.set()
            testing.cli("down", "--state-dir", str(state))
    floor = floor_s * scale + delay
    print(
        json.dumps(
            {
                "rollout": rollout,
                "analysis_scale": scale,
                "paused_after_pre_promotion_s": round(paused - t0, 2),
                "healthy_after_post_promotion_s": round(healthy - t0, 2),
                "old_pods_gone_s": round(gone - t0, 2),
                "floor_s": round(floor, 2),
                "ratio_to_floor": round((gone - t0) / floor, 2),
                "target_s": 60 if not opts.fixture else None,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
