"""Live analyses during a run (`mode: live`): started and stopped with the scenario's phases,
intervals scaled down, each query answered by a real Prometheus at the moment it is taken.

The template's queries are constant PromQL expressions (`vector(0.5)`), so the verdict does not
depend on any scraped data while every measurement still goes through the server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from harness.run.analyses import LiveAnalyses
from harness.scenario.model import AnalysisSpec, Phase
from tests.promserver import serve_openmetrics

pytestmark = [pytest.mark.integration]


def template(folder: Path, *, value: float, count: int) -> str:
    doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": "constant"},
        "spec": {
            "args": [{"name": "prometheus-address", "value": "http://unused:9090"}],
            "metrics": [
                {
                    "name": "success-rate",
                    "interval": "10s",
                    "count": count,
                    "failureLimit": 1,
                    "successCondition": "len(result) > 0 && result[0] >= 0.95",
                    "failureCondition": "len(result) > 0 && result[0] < 0.95",
                    "provider": {
                        "prometheus": {
                            "address": "{{args.prometheus-address}}",
                            "query": f"vector({value})",
                        }
                    },
                }
            ],
        },
    }
    path = folder / f"constant-{value}-{count}.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path.name


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("prom")
    text = f"# TYPE up gauge\nup 1 {int(time.time()) - 60}\n# EOF\n"
    with serve_openmetrics(work, text, scrape_interval="1s") as url:
        yield url


def wait_done(live: LiveAnalyses, timeout: float = 20.0) -> None:
    for run in live.runs:
        assert run.thread is not None
        run.thread.join(timeout)


def test_a_failing_live_analysis_ends_failed_at_the_scaled_interval(
    prometheus: str, tmp_path: Path
) -> None:
    name = template(tmp_path, value=0.5, count=5)
    spec = AnalysisSpec(template=name, mode="live", interval_scale=0.1, phases=(Phase.FAULT,))
    live = LiveAnalyses([spec], prometheus=prometheus, root=tmp_path)
    live.phase_started(Phase.BASELINE)
    assert live.runs[0].thread is None  # not one of its phases
    live.phase_started(Phase.FAULT)
    wait_done(live)  # Argo's failureLimit 1: the second failed measurement ends the run
    live.phase_ended(Phase.FAULT)
    [run] = live.finish()
    assert (run.mode, run.phase) == ("live", "Failed")
    measured = run.metrics[0].measurements
    assert [m.phase for m in measured] == ["Failed", "Failed"]
    assert measured[0].value == "[0.5]"  # as Argo records it: the vector, as a string
    # 10 s intervals scaled by 0.1: both measurements within a couple of seconds, not 10 s
    assert run.start is not None and run.end is not None and run.end - run.start < 5


def test_a_live_analysis_cut_short_by_its_last_phase_is_unfinished(
    prometheus: str, tmp_path: Path
) -> None:
    name = template(tmp_path, value=1, count=50)
    spec = AnalysisSpec(
        template=name, mode="live", interval_scale=0.1, phases=(Phase.FAULT, Phase.RECOVERY)
    )
    live = LiveAnalyses([spec], prometheus=prometheus, root=tmp_path)
    live.phase_started(Phase.FAULT)
    live.phase_ended(Phase.FAULT)  # not its last phase: it keeps measuring
    threading.Event().wait(2.5)
    live.phase_started(Phase.RECOVERY)
    live.phase_ended(Phase.RECOVERY)
    wait_done(live)
    [run] = live.finish()
    assert run.phase == "Running"  # count 50 not reached: no verdict, the run is inconclusive
    assert len(run.metrics[0].measurements) >= 2
    assert all(m.phase == "Successful" for m in run.metrics[0].measurements)
    assert any("ended before these metrics finished: success-rate" in n for n in run.notes)
