"""Run the main job N times in a row and print one line per run: does `harness run smoke` pass
every time? (issue 12: 20 out of 20, from a fresh clone and a warm one, at load up to 2).

    python3 scripts/main_series.py [--runs 20]        # from the clone's root; first run sets up

Each run is `./scripts/main.sh` exactly as the README gives it (set-up if needed, then
`harness run smoke`, which starts and stops its own stack). Per run: exit code, wall time, the
1-minute load average before and after, the client p95 per phase, the requests each phase's
client percentiles rest on, and the client failures in the fault window (the 30 % payment abort
must be seen). Exit 1 when any run did not pass. Standard library only: it runs before the
virtual environment exists.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_average() -> str:
    return Path("/proc/loadavg").read_text(encoding="ascii").split()[0]


def summary(report_path: Path) -> str:
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"no report ({exc})"
    values = {(m["slo"], m["phase"]): m["value"] for m in report["measurements"]}
    phases = {p["phase"]: p for p in report.get("load_phases", [])}
    p95 = "/".join(
        f"{v:.0f}" if isinstance(v := values.get(("client-p95-latency", ph)), int | float) else "-"
        for ph in ("baseline", "fault", "recovery")
    )
    requests = "/".join(
        str(phases.get(ph, {}).get("requests", "-")) for ph in ("baseline", "fault", "recovery")
    )
    fault_failures = phases.get("fault", {}).get("failures", "-")
    return (
        f"client p95 b/f/r {p95} ms; requests b/f/r {requests}; "
        f"fault failures {fault_failures}; verdict {report['verdict']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    passed = 0
    for i in range(1, args.runs + 1):
        before, start = load_average(), time.monotonic()
        done = subprocess.run(
            ["./scripts/main.sh"], cwd=ROOT, capture_output=True, text=True, check=False
        )
        wall = time.monotonic() - start
        passed += done.returncode == 0
        line = summary(ROOT / "reports" / "latest" / "report.json")
        print(
            f"run {i}: exit {done.returncode} in {wall:.0f} s, load {before} -> "
            f"{load_average()}; {line}",
            flush=True,
        )
        if done.returncode != 0:
            print("  " + "\n  ".join(done.stderr.strip().splitlines()[-5:]), flush=True)
    print(f"{passed} of {args.runs} passed")
    return 0 if passed == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
