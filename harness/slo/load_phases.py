"""What the client figures of each phase rest on, and whether the load itself can be trusted.

Per judged phase: the requests (and whole seconds) the client percentiles merge, per client SLO
the requests it selects with a warning when too few for its percentile, the load model, and for
the open model the target and achieved arrival rate and the schedule lag. A generator that fell
behind its schedule (lag above `load.max_lag`, or fewer arrivals sent than asked) makes the run
"could not judge": its load was not the load the scenario asked for. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from harness.contracts.latency import ClientLatency, PacerStats
from harness.scenario.model import JUDGED_PHASES, ClientSli, HarnessExtension, Phase
from harness.slo.locust import too_few
from harness.slo.model import PhaseWindow

BEHIND = "load generator fell behind its schedule"
# arrivals short of the schedule tolerated in a window: one in flight at each edge, plus 1 %
_SHORT_RATIO, _SHORT_SLACK = 0.01, 2.0


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")


class ClientCount(_Frozen):
    """The requests one client SLO rests on in one phase."""

    slo: str
    requests: int
    warning: str = ""


class LoadPhase(_Frozen):
    """`load_phases[]` of report.json: the load in one judged phase."""

    phase: Phase
    model: Literal["closed", "open"] = "closed"
    start: float
    end: float
    seconds: int = 0  # whole seconds merged (the client figures use nothing else)
    requests: int = 0
    failures: int = 0
    slos: tuple[ClientCount, ...] = ()
    target_rate: float | None = None  # open model: arrivals per second asked for
    achieved_rate: float | None = None  # ... and sent
    max_lag_ms: float | None = None
    p99_lag_ms: float | None = None
    behind: str = ""  # why the load cannot be trusted here (open model), else ""


def load_phases(
    ext: HarnessExtension, windows: Sequence[PhaseWindow], latency: ClientLatency | None
) -> tuple[LoadPhase, ...]:
    if latency is None:
        return ()
    model = ext.load.model
    out = []
    for w in windows:
        if w.phase not in JUDGED_PHASES:
            continue
        total = latency.window(w.start, w.end)
        counts = []
        for slo in ext.slos:
            if isinstance(slo.sli, ClientSli) and w.phase in slo.phases:
                stats = latency.window(w.start, w.end, slo.sli.requests)
                counts.append(
                    ClientCount(
                        slo=slo.name,
                        requests=stats.requests,
                        warning=too_few(stats, slo.sli.metric),
                    )
                )
        phase = LoadPhase(
            phase=w.phase,
            model=model,
            start=w.start,
            end=w.end,
            seconds=total.seconds,
            requests=total.requests,
            failures=total.failures,
            slos=tuple(counts),
        )
        if model == "open":
            phase = _with_schedule(phase, latency.pacer(w.start, w.end), ext.load.max_lag)
        out.append(phase)
    return tuple(out)


def _rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _with_schedule(phase: LoadPhase, pacer: PacerStats | None, max_lag: float) -> LoadPhase:
    where = f"{BEHIND} in {phase.phase.value}"
    if pacer is None or pacer.seconds == 0 or pacer.target == 0:
        return phase.model_copy(update={"behind": f"{where}: no arrival schedule was recorded"})
    rates = f"asked {_rate(pacer.target_rate)} req/s, sent {_rate(pacer.achieved_rate)} req/s"
    lag = pacer.max_lag_ms
    behind = ""
    if lag is not None and lag > max_lag * 1000:
        behind = f"{where}: {rates}, lag up to {lag:.4g} ms (load.max_lag {max_lag * 1000:g} ms)"
    elif pacer.sent < pacer.target * (1 - _SHORT_RATIO) - _SHORT_SLACK:
        behind = f"{where}: {rates}"
    return phase.model_copy(
        update={
            "target_rate": pacer.target_rate,
            "achieved_rate": pacer.achieved_rate,
            "max_lag_ms": lag,
            "p99_lag_ms": pacer.p99_lag_ms,
            "behind": behind,
        }
    )


def behind_schedule(phases: Sequence[LoadPhase]) -> list[str]:
    """The reasons the load cannot be trusted, one per phase that fell behind."""
    return [p.behind for p in phases if p.behind]


__all__ = ["BEHIND", "ClientCount", "LoadPhase", "behind_schedule", "load_phases"]
