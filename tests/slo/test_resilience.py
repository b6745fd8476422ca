"""Time to detect, time to recover, error budget and blast radius from SLI series."""

from __future__ import annotations

import math

import pytest

from harness.scenario import Phase, SloSpec
from harness.slo import Measurement, PhaseWindow
from harness.slo.resilience import blast_radius, budget_spent, detect_and_recover, figures, moved

AVAIL = SloSpec.model_validate(
    {
        "name": "availability",
        "service": "order-service",
        "objective": 0.99,
        "sli": {"type": "ratio", "good": "g[{{window}}]", "total": "t[{{window}}]"},
    }
)
P95 = SloSpec.model_validate(
    {
        "name": "p95",
        "service": "gateway",
        "objective": 500,
        "sli": {"type": "threshold", "query": "q[{{window}}]"},
    }
)
CLIENT = SloSpec.model_validate(
    {"name": "client", "objective": 0.05, "sli": {"type": "client", "metric": "error_ratio"}}
)
FAULT = PhaseWindow(phase=Phase.FAULT, start=20.0, end=30.0)


def series(
    bad_from: float | None, bad_until: float | None, *, end: float = 45.0, bad: float = 0.9
) -> list[tuple[float, float]]:
    out = []
    for t in range(10, int(end) + 1):
        hit = bad_from is not None and bad_from <= t and (bad_until is None or t < bad_until)
        out.append((float(t), bad if hit else 0.999))
    return out


DETECT = [
    ("breach 3 s in, back 4 s after the fault", series(23, 34), (3.0, 4.0, True)),
    ("never breached", series(None, None), (None, None, None)),
    ("never back", series(22, None), (2.0, None, False)),
    ("back before the fault ended", series(21, 25), (1.0, 0.0, True)),
    ("a breach before the fault does not count", series(12, 15), (None, None, None)),
]


@pytest.mark.parametrize(
    ("points", "expected"), [c[1:] for c in DETECT], ids=[c[0] for c in DETECT]
)
def test_detect_and_recover(points, expected) -> None:
    ttd, ttr, recovered, _ = detect_and_recover(AVAIL, points, FAULT, until=45.0)
    assert (ttd, ttr, recovered) == expected


def test_nan_points_neither_breach_nor_recover() -> None:
    points = [(20.0, math.nan), (21.0, 0.9), (22.0, math.nan), (23.0, 0.999)]
    assert detect_and_recover(AVAIL, points, FAULT, until=45.0)[:3] == (1.0, 0.0, True)


def win(phase: Phase, good: float | None, total: float | None, value: float | None = None):
    return Measurement(
        slo="s", phase=phase, start=0, end=10, query="q", good=good, total=total, value=value
    )


def test_budget_counts_bad_events_against_allowed_ones() -> None:
    # 1 % allowed of 3000 = 30 bad events; 3 + 27 + 0 spent = all of it
    ms = [
        win(Phase.BASELINE, 997, 1000),
        win(Phase.FAULT, 973, 1000),
        win(Phase.RECOVERY, 1000, 1000),
    ]
    assert budget_spent(AVAIL, ms) == pytest.approx(1.0)


def test_client_budget_uses_the_error_ratio_objective() -> None:
    ms = [win(Phase.FAULT, 90, 100)]  # 10 failures, 5 allowed
    assert budget_spent(CLIENT, ms) == pytest.approx(2.0)


def test_no_budget_for_latency_or_without_traffic() -> None:
    assert budget_spent(P95, [win(Phase.FAULT, None, None, 400)]) is None
    assert budget_spent(AVAIL, [win(Phase.FAULT, 0, 0)]) is None


MOVED = [
    ("breach in the fault", AVAIL, 0.999, 0.95, True),
    ("ate most of the headroom", AVAIL, 0.999, 0.993, True),
    ("small wobble", AVAIL, 0.999, 0.998, False),
    ("got better", AVAIL, 0.995, 1.0, False),
    ("latency doubled past half the headroom", P95, 100, 350, True),
    ("latency a little up", P95, 100, 150, False),
    ("no fault data", P95, 100, None, False),
]


@pytest.mark.parametrize(
    ("slo", "baseline", "fault", "expected"), [c[1:] for c in MOVED], ids=[c[0] for c in MOVED]
)
def test_moved(slo, baseline, fault, expected) -> None:
    assert moved(slo, baseline, fault) is expected


def test_blast_radius_lists_services_whose_slos_moved() -> None:
    windows = {
        Phase.BASELINE: PhaseWindow(phase=Phase.BASELINE, start=10, end=20),
        Phase.FAULT: FAULT,
        Phase.RECOVERY: PhaseWindow(phase=Phase.RECOVERY, start=30, end=45),
    }
    hit = figures(
        AVAIL,
        series(23, 34),
        windows,
        [win(Phase.BASELINE, 999, 1000, 0.999), win(Phase.FAULT, 950, 1000, 0.95)],
    )
    calm = figures(
        P95,
        [(float(t), 90.0) for t in range(10, 46)],
        windows,
        [win(Phase.BASELINE, None, None, 90.0), win(Phase.FAULT, None, None, 95.0)],
    )
    assert (hit.time_to_detect, hit.time_to_recover, hit.moved) == (3.0, 4.0, True)
    assert calm.moved is False and calm.time_to_detect is None
    radius = blast_radius([hit, calm])
    assert radius.services == ("order-service",)
    assert radius.slos == ("availability",)


def test_span_covers_the_listed_phases() -> None:
    from harness.slo import span

    windows = [
        PhaseWindow(phase=Phase.BASELINE, start=10, end=20),
        FAULT,
        PhaseWindow(phase=Phase.RECOVERY, start=30, end=45),
    ]
    assert span(windows, (Phase.FAULT, Phase.RECOVERY)) == (20.0, 45.0)
    assert span(windows[:1], (Phase.FAULT,)) is None


def test_a_phase_the_run_never_reached_is_inconclusive() -> None:
    from harness.scenario import HarnessExtension
    from harness.slo import Verdict, analyse

    ext = HarnessExtension.model_validate(
        {
            "name": "harness",
            "load": {"locustfile": "l.py", "users": 1, "spawn_rate": 1},
            "phases": {"baseline": "10s", "recovery": "10s"},
            "slos": [AVAIL.model_dump()],
        }
    )
    only_baseline = [PhaseWindow(phase=Phase.BASELINE, start=10, end=20)]
    ok = Measurement(
        slo="availability",
        phase=Phase.BASELINE,
        start=10,
        end=20,
        query="q",
        value=1.0,
        points=10,
        last_sample_at=20,
    )
    verdicts, _ = analyse(ext, only_baseline, [ok], {})
    assert [(v.phase, v.verdict) for v in verdicts] == [
        (Phase.BASELINE, Verdict.PASSED),
        (Phase.FAULT, Verdict.INCONCLUSIVE),
        (Phase.RECOVERY, Verdict.INCONCLUSIVE),
    ]
    assert verdicts[1].reason == "the run has no fault window"
