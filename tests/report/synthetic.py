"""Reports built from synthetic series, for tests that judge and render without a stack."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from harness.load.latency import LatencyRecord, latency_file
from harness.load.stats import read_history, read_stats
from harness.report import AnalysisMeasurement, AnalysisMetric, AnalysisRun, build_report
from harness.report.model import LocustSummary, Report
from harness.run.charts import collect_charts
from harness.scenario import Phase, load_scenario
from harness.slo import PhaseWindow, analyse, measure_series
from harness.slo.evaluate import Evaluation, gather
from harness.slo.load_phases import load_phases

T0 = 1_764_000_000.0
WINDOWS = (
    PhaseWindow(phase=Phase.WARMUP, start=T0, end=T0 + 10),
    PhaseWindow(phase=Phase.BASELINE, start=T0 + 10, end=T0 + 25),
    PhaseWindow(phase=Phase.FAULT, start=T0 + 25, end=T0 + 35),
    PhaseWindow(phase=Phase.RECOVERY, start=T0 + 35, end=T0 + 50),
)


def experiment(**harness_overrides: Any) -> dict[str, Any]:
    ext: dict[str, Any] = {
        "name": "harness",
        "load": {"locustfile": "loadtests/locustfile.py", "users": 5, "spawn_rate": 5},
        "phases": {
            "warmup": "10s",
            "baseline": "15s",
            "fault": "until-method-ends",
            "recovery": "15s",
        },
        "prometheus": {"scrape_interval": "1s"},
        "slos": [
            {
                "name": "order-availability",
                "service": "order-service",
                "sli": {
                    "type": "ratio",
                    "good": 'sum(increase(x{code!~"5.."}[{{window}}]))',
                    "total": "sum(increase(x[{{window}}]))",
                },
                "objective": 0.99,
                "phases": ["baseline", "recovery"],
            },
            {
                "name": "gateway-p95",
                "service": "gateway",
                "sli": {"type": "threshold", "query": "histogram_quantile(0.95, y[{{window}}])"},
                "objective": 500,
                "unit": "ms",
            },
            {
                "name": "client-errors",
                "service": "client",
                "sli": {"type": "client", "metric": "error_ratio"},
                "objective": 0.05,
                "phases": ["baseline", "recovery"],
            },
        ],
    }
    ext.update(harness_overrides)
    return {
        "title": "Synthetic scenario",
        "description": "Built by the tests.",
        "method": [
            {
                "type": "action",
                "name": "abort-payment",
                "provider": {"type": "python", "module": "m", "func": "f"},
            }
        ],
        "rollbacks": [
            {
                "type": "action",
                "name": "remove-abort",
                "provider": {"type": "python", "module": "m", "func": "g"},
            }
        ],
        "extensions": [ext],
    }


def write_scenario(folder: Path, name: str = "synthetic", **overrides: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(experiment(**overrides), sort_keys=False), encoding="utf-8")
    return path


def write_locust(prefix: Path, *, fail_in_recovery: bool = False, t0: float = T0) -> None:
    """Locust CSVs as Locust 2.x writes them: 10 req/s, 2 % failures during the fault."""
    header = (
        "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,"
        "98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,"
        "Total Median Response Time,Total Average Response Time,Total Min Response Time,"
        "Total Max Response Time,Total Average Content Size\n"
    )
    rows, requests, failures = [], 0, 0
    for s in range(0, 51):
        t = t0 + s
        requests += 10
        if 25 < s <= 35 or (fail_in_recovery and s > 35):
            failures += 2
        p95 = 300 if 25 < s <= 35 else 80
        rows.append(
            f"{int(t)},5,,Aggregated,10.0,0.0,40,50,55,60,70,{p95},90,95,99,99,120,"
            f"{requests},{failures},40,45.0,3,120,100.0\n"
        )
    Path(f"{prefix}_stats_history.csv").write_text(header + "".join(rows), encoding="utf-8")
    stats = (
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
        "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
        "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
        f"GET,/api/v1/orders,{requests},{failures},40,45.0,3,120,100.0,10.0,0.4,40,50,55,"
        "60,70,80,90,95,99,99,120\n"
        f",Aggregated,{requests},{failures},40,45.0,3,120,100.0,10.0,0.4,40,50,55,60,70,"
        "80,90,95,99,99,120\n"
    )
    Path(f"{prefix}_stats.csv").write_text(stats, encoding="utf-8")


def write_latency(prefix: Path, *, fail_in_recovery: bool = False, t0: float = T0) -> None:
    """The per-second histograms the Locust process writes (its own recorder): 10 requests a
    second, 2 of them failed during the fault; 300 ms in the fault's seconds, else 40-80 ms."""
    from loadtests.common.histograms import SecondRecorder

    recorder = SecondRecorder()
    for s in range(0, 51):
        fault = 25 < s <= 35
        for i in range(10):
            ms = 300 if fault and i == 9 else 40 + 4 * i
            failed = (fault or (fail_in_recovery and s > 35)) and i < 2
            recorder.record(int(t0) + s, "GET", "/api/v1/orders", ms * 1000, failed)
    latency_file(prefix).write_text("\n".join(recorder.drain()) + "\n", encoding="utf-8")


def availability(t: float, *, fault: float, recovery: float) -> float:
    s = t - T0
    if 25 < s <= 35:
        return fault
    if s >= 35:
        return recovery
    return 0.999


def synthetic_report(
    tmp: Path,
    *,
    fault: float = 0.9,
    recovery: float = 0.999,
    p95: float = 120.0,
    no_data: bool = False,
    analysis_phase: str = "Successful",
    scenario_overrides: dict[str, Any] | None = None,
    fail_in_recovery: bool = False,
) -> Report:
    """A judged report: order availability drops to `fault` under the fault, then `recovery`."""
    scenario = load_scenario(write_scenario(tmp / "experiments", **(scenario_overrides or {})))
    ext = scenario.harness
    prefix = tmp / "locust" / "run"
    prefix.parent.mkdir(parents=True, exist_ok=True)
    write_locust(prefix, fail_in_recovery=fail_in_recovery)
    write_latency(prefix, fail_in_recovery=fail_in_recovery)
    history = read_history(prefix)
    latency = LatencyRecord.read(prefix)
    measurements, series = gather(ext, WINDOWS, source=None, client=latency)
    measurements = [m for m in measurements if m.query.startswith("client:")]
    times = [T0 + 10 + i for i in range(41)]
    sli = {
        "order-availability": []
        if no_data
        else [(t, availability(t, fault=fault, recovery=recovery)) for t in times],
        "gateway-p95": [(t, p95 if 25 < t - T0 <= 35 else 80.0) for t in times],
    }
    for name, points in sli.items():
        series[name] = tuple(points)
        for w in WINDOWS[1:]:
            m = measure_series(ext.slo(name), w, points, scrape_interval=1.0)
            if name == "order-availability" and m.value is not None and not math.isnan(m.value):
                m = m.model_copy(update={"good": m.value * 1000, "total": 1000.0})
            measurements.append(m)
    verdicts, resilience = analyse(ext, WINDOWS, measurements, series)
    analysis = AnalysisRun(
        template="deploy/kubernetes/analysistemplate-success-rate.yaml",
        args={"service-name": "order-service"},
        mode="replay",
        phase=analysis_phase,
        start=T0 + 25,
        end=T0 + 50,
        metrics=(
            AnalysisMetric(
                name="success-rate",
                phase=analysis_phase,
                measurements=(
                    AnalysisMeasurement(time=T0 + 30, value=[0.97], phase=analysis_phase),
                ),
            ),
        ),
    )
    charts = collect_charts(
        ext, T0, T0 + 50, source=None, client=latency, step=1.0, rate_window=4.0
    )
    return build_report(
        run_id="20251124T160000Z-synthetic",
        scenario=scenario,
        phases=WINDOWS,
        evaluation=Evaluation(tuple(measurements), tuple(verdicts), resilience, series),
        scrape_interval=1.0,
        analyses=[analysis],
        locust=LocustSummary.of(read_stats(prefix), history),
        load_phases=load_phases(ext, WINDOWS, latency),
        charts=charts,
        tool_versions={"harness": "test"},
        created=T0 + 55,
    )
