"""Benchmark: what the harness adds to a Chaos Toolkit run, and how fast Ctrl-C is honoured.

    python benchmarks/bench_chaos.py [--runs 5]

1. Wall time of `harness chaos run` against plain `chaos run` on the same small experiment
   (one python probe, one action, one rollback): the ratio is the harness' overhead (process
   start, validation, ledger, redaction).
2. Ctrl-C latency: SIGINT while the method waits, to the process' exit (rollbacks and the
   fault reset included).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness.process import spawn, stop

ROOT = Path(__file__).resolve().parents[1]
CHAOS = Path(sys.executable).parent / "chaos"


def _experiment(folder: Path, wait: float) -> Path:
    value = folder / "value"
    value.write_text("ok", encoding="utf-8")

    def call(kind: str, name: str, func: str, **arguments: object) -> dict[str, object]:
        return {
            "type": kind,
            "name": name,
            "provider": {
                "type": "python",
                "module": "tests.chaos.providers",
                "func": func,
                "arguments": arguments,
            },
        }

    probe = call("probe", "value", "read_value", path=str(value))
    probe["tolerance"] = "ok"
    doc = {
        "title": "bench",
        "description": "bench",
        "steady-state-hypothesis": {"title": "ok", "probes": [probe]},
        "method": [call("action", "wait", "wait", seconds=wait, marker=str(folder / "marker"))],
        "rollbacks": [
            call("action", "undo", "write_value", path=str(folder / "undo"), value="done")
        ],
    }
    path = folder / "experiment.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = spawn(argv, cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.wait(timeout=120) == 0, argv
    finally:
        stop(proc)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        exp = _experiment(folder, wait=0.0)
        harness = [
            sys.executable,
            "-m",
            "harness",
            "chaos",
            "run",
            str(exp),
            "--journal",
            str(folder / "j.json"),
            "--state-dir",
            str(folder / "state"),
        ]
        plain = [
            str(CHAOS),
            "--no-log-file",
            "run",
            str(exp),
            "--journal-path",
            str(folder / "j2.json"),
        ]
        h = statistics.median(_timed(harness, ROOT) for _ in range(runs))
        p = statistics.median(_timed(plain, ROOT) for _ in range(runs))
        print(f"harness chaos run: {h:.2f} s   chaos run: {p:.2f} s   ratio {h / p:.2f}")

        exp = _experiment(folder, wait=60.0)
        latencies = []
        for _ in range(runs):
            (folder / "marker").unlink(missing_ok=True)
            proc = spawn(
                [*harness[:5], str(exp), *harness[6:]],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            try:
                while not (folder / "marker").exists():
                    time.sleep(0.01)
                start = time.perf_counter()
                proc.send_signal(signal.SIGINT)
                assert proc.wait(timeout=30) == 130
                latencies.append(time.perf_counter() - start)
            finally:
                stop(proc)
        med = statistics.median(latencies)
        print(f"Ctrl-C to exit (rollbacks + fault reset + journal): median {med * 1000:.0f} ms")


if __name__ == "__main__":
    main()
