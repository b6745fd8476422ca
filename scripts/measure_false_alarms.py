"""How often the run comparison cries wolf: every pair of runs of one scenario in a run store
that holds only clean runs, compared as `harness run` would (later run against earlier),
counting the pairs in which any SLI-phase came out significantly worse. The runs are all
clean, so every "worse" is a false alarm. docs/history.md records the numbers.

    .venv/bin/python scripts/measure_false_alarms.py --db reports/history.sqlite --scenario smoke
"""

from __future__ import annotations

import argparse
import itertools
from collections import Counter
from pathlib import Path

from harness.history.compare import compare_runs, evidence_from_store
from harness.history.store import RunStore
from harness.scenario.model import RegressionPolicy
from harness.slo.comparison import ShiftClass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--min-effect", default="10%")
    parser.add_argument("--sli", action="append", default=[], help="only these SLIs (the gate's)")
    args = parser.parse_args()
    policy = RegressionPolicy.model_validate(
        {"confidence": args.confidence, "min_effect": args.min_effect}
    )
    with RunStore(args.db, create=False) as store:
        # every run of the scenario in this store is taken as clean (whatever the gate said)
        rows = sorted(store.runs(args.scenario), key=lambda r: r.started)
        runs = [evidence_from_store(store, r) for r in rows]
    pairs = list(itertools.combinations(runs, 2))
    alarms, tests, classes = 0, 0, Counter[str]()
    flagged: Counter[str] = Counter()
    for earlier, later in pairs:
        shifts = [
            s
            for s in compare_runs(later, earlier, policy).shifts
            if not args.sli or s.slo in args.sli
        ]
        judged = [s for s in shifts if s.result is not ShiftClass.TOO_FEW]
        tests += len(judged)
        classes.update(s.result.value for s in shifts)
        worse = [s for s in judged if s.worse]
        flagged.update(f"{s.slo}/{s.phase.value}" for s in worse)
        alarms += bool(worse)
    print(f"{len(runs)} runs of {args.scenario}, {len(pairs)} comparisons")
    print(f"classes over all SLI-phases: {dict(classes)}")
    if pairs:
        print(
            f"comparisons with any false regression: {alarms}/{len(pairs)} "
            f"= {alarms / len(pairs):.1%}"
        )
    if tests:
        print(
            f"SLI-phase tests flagged worse: {sum(flagged.values())}/{tests} "
            f"= {sum(flagged.values()) / tests:.1%}  {dict(flagged)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
