"""Benchmark: `harness run smoke` wall time, and the time from the last window to the verdict.

    /work/venv/bin/python benchmarks/bench_run.py [--runs 2] [--scenario smoke] [--keep-stack]

Each run is the real command in a fresh state folder on free ports, so it includes bringing
the stack up and taking it down (`--keep-stack`: one stack started beforehand serves every run,
which measures the scenario alone). Reported per run: the command's wall time, the share spent
in the scenario's own phases (from report.json), and the time from the end of the last window
to the verdict (stopping Locust, one scrape interval of wait, the analysis replay, judging and
writing the report; printed by `harness run` as "...s after the last window").
Targets (issue 7): wall time < 60 s on 2 cores, most of it the phases; verdict < 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.process import free_port  # noqa: E402

WALL_TARGET_S = 60.0
VERDICT_TARGET_S = 5.0
AFTER = re.compile(r"([0-9.]+)s after the last window")


def _ports_env(state: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HARNESS_STATE_DIR": str(state),
        "HARNESS_ADMIN_PORT": str(free_port()),
        "HARNESS_GATEWAY_PORT": str(free_port()),
        "HARNESS_PROMETHEUS_PORT": str(free_port()),
        "HARNESS_MESH_ADMIN_PORT": str(free_port()),
    }


def one_run(scenario: str, env: dict[str, str], out: Path) -> dict[str, float]:
    cli = [sys.executable, "-m", "harness", "run", scenario, "--out", str(out)]
    started = time.monotonic()
    proc = subprocess.run(cli, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"harness run exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    report = json.loads((out / "latest" / "report.json").read_text())
    phases = sum(p["end"] - p["start"] for p in report["phases"])
    match = AFTER.search(proc.stderr)
    verdict = float(match.group(1)) if match else float("nan")
    return {"wall": wall, "phases": phases, "verdict": verdict}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--scenario", default="smoke")
    parser.add_argument("--keep-stack", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        shared = _ports_env(Path(tmp) / "shared")
        if args.keep_stack:
            subprocess.run([sys.executable, "-m", "harness", "up"], env=shared, check=True,
                           capture_output=True, cwd=ROOT, timeout=120)  # fmt: skip
        try:
            for i in range(args.runs):
                env = shared if args.keep_stack else _ports_env(Path(tmp) / f"state-{i}")
                r = one_run(args.scenario, env, Path(tmp) / f"reports-{i}")
                results.append(r)
                print(
                    f"run {i + 1}: wall {r['wall']:.1f} s, phases {r['phases']:.1f} s "
                    f"({r['phases'] / r['wall']:.0%}), verdict {r['verdict']:.1f} s "
                    "after the last window",
                    flush=True,
                )
        finally:
            if args.keep_stack:
                subprocess.run([sys.executable, "-m", "harness", "down"], env=shared,
                               capture_output=True, cwd=ROOT, timeout=120)  # fmt: skip
    wall = statistics.median(r["wall"] for r in results)
    verdict = statistics.median(r["verdict"] for r in results)
    load = os.getloadavg()[0]
    print(
        f"median wall {wall:.1f} s (target < {WALL_TARGET_S:g} s, ratio {wall / WALL_TARGET_S:.2f})"
    )
    print(
        f"median verdict {verdict:.1f} s after the last window "
        f"(target < {VERDICT_TARGET_S:g} s, ratio {verdict / VERDICT_TARGET_S:.2f}); "
        f"load average {load:.1f}"
    )


if __name__ == "__main__":
    main()
