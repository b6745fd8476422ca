"""Benchmark: one blue-green rollout on the local target, `set-image` to promoted-and-old-pods-gone.

    python benchmarks/bench_rollout.py [--scale 0.1] [--delay-from-manifest]

The fixture Rollout (tests/cluster/fixtures/rollout/echo.yaml: 2 replicas, pre- and
post-promotion analysis of 4 measurements at 20 s, scaleDownDelaySeconds 3) with analysis
intervals scaled by --scale (HARNESS_ROLLOUT_ANALYSIS_SCALE). Prints the time to each milestone:
preview ready and paused (pre-promotion analysis Successful), promoted and Healthy (post-promotion
Successful), old pods gone. Add the manifest's scaleDownDelaySeconds (30 s on user-service) minus
the fixture's 3 s for the sample system's figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.cluster.local import testing  # noqa: E402
from harness.cluster.local.client import AdminClient  # noqa: E402

FIXTURES = ROOT / "tests" / "cluster" / "fixtures"


def _until(check: object, timeout: float = 120.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]  # a zero-argument predicate
            return time.monotonic()
        time.sleep(0.1)
    raise SystemExit("timed out")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.1)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        ports = testing.StackPorts.free(prometheus=True)
        argv = testing.up_argv(
            state, manifests=FIXTURES / "rollout", local_config=FIXTURES / "local", ports=ports
        )
        up = testing.cli(*argv, env={"HARNESS_ROLLOUT_ANALYSIS_SCALE": str(opts.scale)})
        if up.returncode != 0:
            raise SystemExit(up.stderr)
        try:
            with AdminClient.from_state(state) as c:
                old = c.rollout("echo")["revisions"][0]["podTemplateHash"]
                time.sleep(3)  # Prometheus has scraped the stable pods
                t0 = time.monotonic()
                c.rollout_action("echo", "image", {"image": "harness-test/echo:2.0"})
                paused = _until(lambda: c.rollout("echo")["phase"] == "Paused")
                c.rollout_action("echo", "promote")
                healthy = _until(lambda: c.rollout("echo")["phase"] == "Healthy")
                gone = _until(
                    lambda: (
                        not [
                            p for p in c.pods() if p.labels.get("rollouts-pod-template-hash") == old
                        ]
                    )
                )
        finally:
            testing.cli("down", "--state-dir", str(state))
    print(
        json.dumps(
            {
                "analysis_scale": opts.scale,
                "paused_after_pre_promotion_s": round(paused - t0, 2),
                "healthy_after_post_promotion_s": round(healthy - t0, 2),
                "old_pods_gone_s": round(gone - t0, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
