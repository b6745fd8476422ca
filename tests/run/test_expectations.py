"""`expect:` after a run: the evidence is read from Prometheus and an unmet one fails the run."""

from __future__ import annotations

from pathlib import Path

from harness.contracts.promql import Matrix, QueryResponse, Series
from harness.report.build import rejudge
from harness.report.model import Expectation
from harness.run.expectations import check_expectations
from harness.scenario.model import HarnessExtension, Phase
from harness.slo.model import PhaseWindow
from tests.report.synthetic import experiment, synthetic_report

PHASES = [
    PhaseWindow(phase=Phase.WARMUP, start=0, end=10),
    PhaseWindow(phase=Phase.BASELINE, start=10, end=20),
    PhaseWindow(phase=Phase.FAULT, start=20, end=40),
    PhaseWindow(phase=Phase.RECOVERY, start=40, end=100),
]


class Source:
    """A PromQLSource answering every range query with one series (the HPA's replica count)."""

    def __init__(self, samples: list[tuple[float, float]]) -> None:
        self.samples = samples
        self.queries: list[tuple[str, float, float]] = []

    def instant(self, query: str, at: float | None = None, *, timeout: float | None = None):
        raise AssertionError("expectations read ranges only")

    def range(
        self, query: str, start: float, end: float, step: float, *, timeout: float | None = None
    ) -> QueryResponse:
        self.queries.append((query, start, end))
        return QueryResponse(Matrix((Series({}, tuple(self.samples)),)))


def _ext() -> HarnessExtension:
    exp = experiment(
        expect={
            "autoscaler": {
                "name": "user-service-hpa",
                "scale_out": {"to": 5},
                "scale_in": {"to": 3},
            }
        }
    )
    return HarnessExtension.model_validate(exp["extensions"][0])


def test_the_whole_run_is_read_and_checked() -> None:
    source = Source([(5, 3), (25, 6), (60, 3)])
    results = check_expectations(_ext(), PHASES, source, step=1.0)
    assert [(r.name, r.met) for r in results] == [
        ("autoscaler user-service-hpa scale-out", True),
        ("autoscaler user-service-hpa scale-in", True),
    ]
    assert source.queries[0][1:] == (0, 100)


def test_no_expect_reads_nothing() -> None:
    ext = HarnessExtension.model_validate(experiment()["extensions"][0])
    assert check_expectations(ext, PHASES, Source([]), step=1.0) == []


def test_an_unmet_expectation_fails_the_run_with_its_reason(tmp_path: Path) -> None:
    report = synthetic_report(tmp_path, fault=0.999)
    assert report.exit_code == 0
    unmet = Expectation(name="autoscaler h scale-in", met=False, reason="still 6 (peak 6)")
    judged = rejudge(report.model_copy(update={"expectations": (unmet,)}))
    assert (judged.verdict.value, judged.exit_code) == ("failed", 1)
    assert "autoscaler h scale-in: still 6 (peak 6)" in judged.reasons
