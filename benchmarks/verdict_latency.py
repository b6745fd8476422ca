"""Time from the end of the last window to the verdict and the written report (target < 5 s).

Serves 60 s of backfilled gateway and mesh metrics (the names experiments/smoke.yaml queries)
from a real Prometheus, then times what `harness run` does after recovery ends: gather and
judge every SLO of the smoke scenario, collect the charts, build and write the report.

    /work/venv/bin/python benchmarks/verdict_latency.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.report import build_report, new_run_id, write_report  # noqa: E402
from harness.run.charts import collect_charts  # noqa: E402
from harness.scenario import Phase, load_scenario  # noqa: E402
from harness.slo import PhaseWindow, evaluate  # noqa: E402
from tests.slo.promhttp import backfilled_prometheus, smoke_metrics  # noqa: E402

TARGET_SECONDS = 5.0


def main() -> None:
    scenario = load_scenario("smoke", experiments_dir=ROOT / "experiments")
    t0 = float(int(time.time()) - 1800)
    windows = [
        PhaseWindow(phase=Phase.WARMUP, start=t0, end=t0 + 10),
        PhaseWindow(phase=Phase.BASELINE, start=t0 + 10, end=t0 + 25),
        PhaseWindow(phase=Phase.FAULT, start=t0 + 25, end=t0 + 35),
        PhaseWindow(phase=Phase.RECOVERY, start=t0 + 35, end=t0 + 50),
    ]
    with (
        tempfile.TemporaryDirectory() as tmp,
        backfilled_prometheus(Path(tmp), smoke_metrics(t0)) as src,
    ):
        rounds = []
        for _ in range(3):
            began = time.perf_counter()
            result = evaluate(
                scenario.harness, windows, source=src, client=None, scrape_interval=1.0
            )
            charts = collect_charts(
                scenario.harness, t0, t0 + 50, source=src, client=None, step=1.0, rate_window=4.0
            )
            reports = Path(tmp) / "reports"
            report = build_report(
                run_id=new_run_id("smoke", reports),
                scenario=scenario,
                phases=windows,
                evaluation=result,
                scrape_interval=1.0,
                charts=charts,
            )
            write_report(report, reports)
            rounds.append(time.perf_counter() - began)
    best = min(rounds)
    print(
        f"window end -> verdict and report: best {best:.3f}s of {len(rounds)} "
        f"(target {TARGET_SECONDS:.0f}s, ratio {best / TARGET_SECONDS:.3f}); "
        f"verdict {report.verdict.value}, {len(result.verdicts)} SLO verdicts"
    )


if __name__ == "__main__":
    main()
