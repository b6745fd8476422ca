"""Judging one SLO in one window, and a run's verdict from all of them (table-driven)."""

from __future__ import annotations

import math

import pytest

from harness.scenario import HarnessExtension, Phase, SloSpec
from harness.scenario.model import GatePolicy
from harness.slo import (
    Measurement,
    PhaseWindow,
    RunVerdict,
    SloVerdict,
    Verdict,
    judge,
    measure_series,
    overall,
)

AVAIL = SloSpec.model_validate(
    {
        "name": "availability",
        "objective": 0.99,
        "sli": {"type": "ratio", "good": "g[{{window}}]", "total": "t[{{window}}]"},
    }
)
P95 = SloSpec.model_validate(
    {
        "name": "p95",
        "objective": 500,
        "unit": "ms",
        "sli": {"type": "threshold", "query": "q[{{window}}]"},
    }
)
START, END = 1000.0, 1015.0


def m(**kw: object) -> Measurement:
    base: dict[str, object] = dict(
        slo="x",
        phase=Phase.BASELINE,
        start=START,
        end=END,
        query="q",
        points=15,
        last_sample_at=END,
        stale_after=2.0,
        min_window=4.0,
    )
    base.update(kw)
    return Measurement.model_validate(base)


CASES = [
    # (id, slo, measurement, verdict, words in the reason)
    ("ratio passes", AVAIL, m(value=0.995), Verdict.PASSED, ">= 0.99"),
    ("ratio on the objective passes", AVAIL, m(value=0.99), Verdict.PASSED, ">= 0.99"),
    ("ratio below fails", AVAIL, m(value=0.95), Verdict.FAILED, "0.95 < 0.99"),
    ("p95 within passes", P95, m(value=420.0), Verdict.PASSED, "420 ms <= 500 ms"),
    ("p95 above fails", P95, m(value=730.0), Verdict.FAILED, "730 ms > 500 ms"),
    ("p95 in the +Inf bucket fails", P95, m(value=math.inf), Verdict.FAILED, "inf ms > 500"),
    ("no data", AVAIL, m(value=None), Verdict.INCONCLUSIVE, "no data"),
    ("no traffic", AVAIL, m(value=None, total=0.0), Verdict.INCONCLUSIVE, "no traffic"),
    ("NaN", P95, m(value=math.nan), Verdict.INCONCLUSIVE, "NaN"),
    (
        "stale series",
        AVAIL,
        m(value=1.0, last_sample_at=END - 9),
        Verdict.INCONCLUSIVE,
        "stale series: last sample 9s before",
    ),
    (
        "no points at all",
        AVAIL,
        m(value=1.0, points=0, last_sample_at=None),
        Verdict.INCONCLUSIVE,
        "0 sample(s)",
    ),
    ("one point", AVAIL, m(value=1.0, points=1), Verdict.INCONCLUSIVE, "1 sample(s)"),
    (
        "window too short for rate()",
        AVAIL,
        m(value=1.0, end=START + 3),
        Verdict.INCONCLUSIVE,
        "shorter than 4 scrape intervals",
    ),
    (
        "query failed",
        AVAIL,
        m(value=None, error="query failed: Prometheus at 127.0.0.1:9 refused"),
        Verdict.INCONCLUSIVE,
        "query failed: Prometheus at 127.0.0.1:9 refused",
    ),
    (
        "a failing value with stale evidence is not failed",
        AVAIL,
        m(value=0.5, last_sample_at=END - 9),
        Verdict.INCONCLUSIVE,
        "stale",
    ),
]


@pytest.mark.parametrize(
    ("slo", "measurement", "verdict", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_judge(slo: SloSpec, measurement: Measurement, verdict: Verdict, words: str) -> None:
    result = judge(slo, measurement)
    assert result.verdict is verdict
    assert words in result.reason
    assert result.objective == slo.objective
    assert result.query == "q"


SERIES_CASES = [
    ("steady good series", [(START + i, 0.999) for i in range(1, 16)], Verdict.PASSED),
    ("dips below", [(START + i, 0.9) for i in range(1, 16)], Verdict.FAILED),
    ("empty", [], Verdict.INCONCLUSIVE),
    ("all NaN", [(START + i, math.nan) for i in range(1, 16)], Verdict.INCONCLUSIVE),
    ("stops early", [(START + i, 1.0) for i in range(1, 6)], Verdict.INCONCLUSIVE),
    ("outside the window", [(START - 5 + i, 1.0) for i in range(5)], Verdict.INCONCLUSIVE),
]


@pytest.mark.parametrize(
    ("series", "verdict"), [c[1:] for c in SERIES_CASES], ids=[c[0] for c in SERIES_CASES]
)
def test_series_are_judged_over_their_window(
    series: list[tuple[float, float]], verdict: Verdict
) -> None:
    window = PhaseWindow(phase=Phase.BASELINE, start=START, end=END)
    assert (
        judge(AVAIL, measure_series(AVAIL, window, series, scrape_interval=1.0)).verdict is verdict
    )


def test_short_window_from_series_is_inconclusive_even_with_data() -> None:
    window = PhaseWindow(phase=Phase.FAULT, start=START, end=START + 3)
    series = [(START + i / 4, 1.0) for i in range(1, 13)]
    verdict = judge(AVAIL, measure_series(AVAIL, window, series, scrape_interval=1.0))
    assert verdict.verdict is Verdict.INCONCLUSIVE
    assert "too short for rate()" in verdict.reason


def v(verdict: Verdict, name: str = "a") -> SloVerdict:
    return judge(
        AVAIL,
        m(value={Verdict.PASSED: 1.0, Verdict.FAILED: 0.5, Verdict.INCONCLUSIVE: None}[verdict]),
    ).model_copy(update={"slo": name})


STRICT_ANALYSIS = GatePolicy.model_validate({"fail_on": {"analysis": ["Failed", "Error"]}})
INFORMATIONAL = GatePolicy.model_validate({"fail_on": {"slo": []}})
OVERALL = [
    (
        "all passed",
        [Verdict.PASSED, Verdict.PASSED],
        [("t", "Successful")],
        {},
        GatePolicy(),
        RunVerdict.PASSED,
        0,
    ),
    ("one failed", [Verdict.PASSED, Verdict.FAILED], [], {}, GatePolicy(), RunVerdict.FAILED, 1),
    (
        "one inconclusive",
        [Verdict.PASSED, Verdict.INCONCLUSIVE],
        [],
        {},
        GatePolicy(),
        RunVerdict.INCONCLUSIVE,
        3,
    ),
    (
        "failed outranks inconclusive",
        [Verdict.INCONCLUSIVE, Verdict.FAILED],
        [],
        {},
        GatePolicy(),
        RunVerdict.FAILED,
        1,
    ),
    (
        "analysis Failed",
        [Verdict.PASSED],
        [("t", "Failed")],
        {},
        GatePolicy(),
        RunVerdict.FAILED,
        1,
    ),
    (
        "analysis Error cannot judge",
        [Verdict.PASSED],
        [("t", "Error")],
        {},
        GatePolicy(),
        RunVerdict.INCONCLUSIVE,
        3,
    ),
    (
        "analysis Inconclusive",
        [Verdict.PASSED],
        [("t", "Inconclusive")],
        {},
        GatePolicy(),
        RunVerdict.INCONCLUSIVE,
        3,
    ),
    (
        "analysis still Running at the end",
        [Verdict.PASSED],
        [("t", "Running")],
        {},
        GatePolicy(),
        RunVerdict.INCONCLUSIVE,
        3,
    ),
    (
        "policy fails on analysis Error",
        [Verdict.PASSED],
        [("t", "Error")],
        {},
        STRICT_ANALYSIS,
        RunVerdict.FAILED,
        1,
    ),
    (
        "informational SLOs do not fail",
        [Verdict.FAILED],
        [],
        {},
        INFORMATIONAL,
        RunVerdict.PASSED,
        0,
    ),
    (
        "informational SLOs still need data",
        [Verdict.INCONCLUSIVE],
        [],
        {},
        INFORMATIONAL,
        RunVerdict.INCONCLUSIVE,
        3,
    ),
    (
        "untrustworthy run",
        [Verdict.PASSED],
        [],
        {"invalid": ["fault not applied"]},
        GatePolicy(),
        RunVerdict.INCONCLUSIVE,
        3,
    ),
    (
        "aborted on breach",
        [Verdict.FAILED],
        [],
        {"aborted": "availability breached"},
        GatePolicy(),
        RunVerdict.ABORTED,
        1,
    ),
    (
        "interrupted",
        [Verdict.PASSED],
        [],
        {"interrupted": True},
        GatePolicy(),
        RunVerdict.INTERRUPTED,
        130,
    ),
]


@pytest.mark.parametrize(
    ("verdicts", "analyses", "flags", "policy", "run", "code"),
    [c[1:] for c in OVERALL],
    ids=[c[0] for c in OVERALL],
)
def test_overall(verdicts, analyses, flags, policy, run, code) -> None:
    outcome = overall([v(x, f"s{i}") for i, x in enumerate(verdicts)], analyses, policy, **flags)
    assert (outcome.verdict, outcome.exit_code) == (run, code)
    assert bool(outcome.reasons) == (run is not RunVerdict.PASSED)


def test_reasons_name_the_slo_phase_and_cause() -> None:
    outcome = overall([v(Verdict.FAILED, "availability")], [], GatePolicy())
    assert outcome.reasons[0].startswith("SLO availability in baseline: failed (0.5 < 0.99")


def test_extension_defaults_detect_window_to_four_scrapes() -> None:
    ext = HarnessExtension.model_validate(
        {
            "name": "harness",
            "load": {"locustfile": "l.py", "shape": "Steps"},
            "phases": {"baseline": "20s", "recovery": "20s"},
            "prometheus": {"scrape_interval": "2s"},
            "slos": [AVAIL.model_dump()],
        }
    )
    assert ext.detect_window == 8.0
