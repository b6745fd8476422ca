"""Benchmark: `harness validate` on 500 files in one call (the schemas are loaded once).

    python benchmarks/bench_validate.py [--files 500] [--schemas DIR]

The files are copies of `deploy/kubernetes/` and of the upstream-shaped cases in
`tests/validate/cases/` (Istio, Argo Rollouts, Kong), renamed so each is its own file, in a
temporary folder. One `harness validate FOLDER` process lints them all; the wall time includes
the interpreter's start. `--schemas` (or HARNESS_SCHEMAS) names the folder written by
`scripts/refresh_schemas.py`; without it the kinds are checked by the hand-written models.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HARNESS = Path(sys.executable).parent / "harness"


def _sources() -> list[Path]:
    files = sorted((ROOT / "deploy" / "kubernetes").glob("*.y*ml"))
    cases = sorted((ROOT / "tests" / "validate" / "cases").rglob("*.y*ml"))
    return files + [p for p in cases if p.name != "kustomization.yaml"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--schemas", type=Path, default=os.environ.get("HARNESS_SCHEMAS"))
    args = parser.parse_args()
    env = dict(os.environ)
    if args.schemas:
        env["HARNESS_SCHEMAS"] = str(args.schemas)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sources = itertools.cycle(_sources())
        for i in range(args.files):
            src = next(sources)
            (folder / f"{i:04d}-{src.name}").write_bytes(src.read_bytes())
        start = time.perf_counter()
        done = subprocess.run(
            [str(HARNESS), "validate", str(folder)], env=env, capture_output=True, text=True
        )
        wall = time.perf_counter() - start
    summary = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "?"
    schemas = args.schemas or "none (hand-written models)"
    print(f"files: {args.files}; schemas: {schemas}; exit {done.returncode}; {summary}")
    print(f"wall: {wall:.2f} s ({wall / args.files * 1000:.1f} ms a file)")


if __name__ == "__main__":
    main()
