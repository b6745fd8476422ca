"""Judging a run: gather evidence for every SLO in every phase window, then judge it purely.

`evaluate` is what `harness run` calls after the last window closed; `analyse` is the pure
half that `harness gate` re-runs on the evidence recorded in report.json; `check_breach` is
the abort-on-breach probe for use while a run is still going.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from harness.contracts.latency import ClientLatency
from harness.contracts.promql import PromQLSource
from harness.scenario.model import JUDGED_PHASES, ClientSli, HarnessExtension, Phase, SloSpec
from harness.slo.judge import aborts_on_breach, judge
from harness.slo.measure import (
    client_sli_series,
    fetch_series,
    measure_client,
    measure_prometheus,
)
from harness.slo.model import (
    Measurement,
    PhaseWindow,
    Resilience,
    Sample,
    SloVerdict,
    Verdict,
)
from harness.slo.resilience import blast_radius, figures


@dataclass(frozen=True)
class Evaluation:
    """Everything judging found; all of it is recorded in report.json."""

    measurements: tuple[Measurement, ...]
    verdicts: tuple[SloVerdict, ...]
    resilience: Resilience
    series: Mapping[str, tuple[Sample, ...]] = field(default_factory=dict)  # per SLO name


def _judged(windows: Sequence[PhaseWindow]) -> list[PhaseWindow]:
    return [w for w in windows if w.phase in JUDGED_PHASES]


def span(windows: Sequence[PhaseWindow], phases: Sequence[Phase]) -> tuple[float, float] | None:
    """(start, end) covering `phases` as they happened, e.g. the window an analysis replays."""
    mine = [w for w in windows if w.phase in phases]
    if not mine:
        return None
    return min(w.start for w in mine), max(w.end for w in mine)


def gather(
    ext: HarnessExtension,
    windows: Sequence[PhaseWindow],
    *,
    source: PromQLSource | None,
    client: ClientLatency | None,
    scrape_interval: float | None = None,
    step: float | None = None,
) -> tuple[list[Measurement], dict[str, tuple[Sample, ...]]]:
    """Measurements for every SLO in every judged window (even phases it is not judged in:
    the blast radius compares fault with baseline), and each SLI's series over the run."""
    scrape = scrape_interval if scrape_interval is not None else ext.prometheus.scrape_interval
    step = step if step is not None else scrape
    detect = max(ext.detect_window, 4 * scrape)
    judged = _judged(windows)
    measurements: list[Measurement] = []
    series: dict[str, tuple[Sample, ...]] = {}
    if not judged:
        return measurements, series
    start, end = min(w.start for w in judged), max(w.end for w in judged)
    for slo in ext.slos:
        if isinstance(slo.sli, ClientSli):
            points = client_sli_series(client, slo, start, end, detect)
            for w in judged:
                measurements.append(measure_client(client, slo, w))
            series[slo.name] = tuple(points)
            continue
        points, error = fetch_series(source, slo, start, end, step, detect)
        series[slo.name] = tuple(points)
        for w in judged:
            measurements.append(
                measure_prometheus(source, slo, w, points, error, scrape_interval=scrape, step=step)
            )
    return measurements, series


def analyse(
    ext: HarnessExtension,
    windows: Sequence[PhaseWindow],
    measurements: Sequence[Measurement],
    series: Mapping[str, Sequence[Sample]],
) -> tuple[list[SloVerdict], Resilience]:
    """Pure: verdicts (only in each SLO's own phases) and resilience figures from evidence."""
    by_phase = {w.phase: w for w in windows}
    last = max((w.end for w in windows), default=0.0)
    verdicts: list[SloVerdict] = []
    all_figures = []
    for slo in ext.slos:
        mine = [m for m in measurements if m.slo == slo.name]
        verdicts.extend(judge(slo, m) for m in mine if m.phase in slo.phases)
        # a phase the run never reached is not a pass for the SLOs judged in it
        for phase in slo.phases:
            if all(m.phase != phase for m in mine):
                gap = Measurement(
                    slo=slo.name,
                    phase=phase,
                    start=last,
                    end=last,
                    query="",
                    error=f"the run has no {phase.value} window",
                )
                verdicts.append(judge(slo, gap))
        all_figures.append(figures(slo, list(series.get(slo.name, ())), by_phase, mine))
    return verdicts, Resilience(figures=tuple(all_figures), blast_radius=blast_radius(all_figures))


def evaluate(
    ext: HarnessExtension,
    windows: Sequence[PhaseWindow],
    *,
    source: PromQLSource | None,
    client: ClientLatency | None,
    scrape_interval: float | None = None,
    step: float | None = None,
) -> Evaluation:
    """Gather and judge. Call it at least one scrape interval after the last window ended,
    so that Prometheus has ingested the window's last samples."""
    measurements, series = gather(
        ext, windows, source=source, client=client, scrape_interval=scrape_interval, step=step
    )
    verdicts, resilience = analyse(ext, windows, measurements, series)
    return Evaluation(tuple(measurements), tuple(verdicts), resilience, series)


def check_breach(
    ext: HarnessExtension,
    windows: Sequence[PhaseWindow],
    now: float,
    *,
    source: PromQLSource | None,
    client: ClientLatency | None,
    scrape_interval: float | None = None,
) -> str | None:
    """While running: the reason to abort now, or None. Only a `failed` verdict aborts
    (never missing data), only for SLOs with abort on, only after `gate.abort_delay` into
    the judged phases, and only in the current (last, still open) window up to `now`."""
    judged = _judged(windows)
    if not judged:
        return None
    if now - judged[0].start < ext.gate.abort_delay:
        return None
    current = judged[-1].model_copy(update={"end": now})
    armed: list[SloSpec] = [
        s for s in ext.slos if aborts_on_breach(s, ext.gate) and current.phase in s.phases
    ]
    if not armed:
        return None
    measurements, _ = gather(
        ext.model_copy(update={"slos": tuple(armed)}),
        [current],
        source=source,
        client=client,
        scrape_interval=scrape_interval,
    )
    for slo, m in zip(armed, measurements, strict=True):
        verdict = judge(slo, m)
        if verdict.verdict is Verdict.FAILED:
            return f"SLO {slo.name} breached in {current.phase.value}: {verdict.reason}"
    return None


__all__ = ["Evaluation", "Phase", "analyse", "check_breach", "evaluate", "gather", "span"]
