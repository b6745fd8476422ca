"""A pure AnalysisRun advanced by measurement results under an injected clock (analysis.go).

One `reconcile(now, measure)` is one pass of Argo's controller: pick the metrics that are due
(`generateMetricTasks`), take their measurements, update the counters (`runMeasurements`), then
assess metric and run phases (`assessRunStatus`). `next_time()` is `calculateNextReconcileTime`.
Times are plain seconds (Unix time in replays); nothing here reads a clock or a socket.

Argo re-reconciles a run as soon as its status changes; so when a metric fails, the run is
terminated and assessed again at the same instant (that is when unbounded metrics become
Successful and the run takes its final phase).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from harness.analysis.durations import parse_duration
from harness.analysis.model import (
    AnalysisSpec,
    Metric,
    PreparedAnalysis,
    SpecError,
    consecutive_error_limit,
    effective_count,
    int_value,
    prepare,
)
from harness.analysis.phase import AnalysisPhase, is_worse

ERROR_RETRY_INTERVAL = 10.0  # DefaultErrorRetryInterval
P = AnalysisPhase


@dataclass(frozen=True)
class Measurement:
    phase: AnalysisPhase
    started_at: float
    finished_at: float
    value: str = ""
    message: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass
class MetricResult:
    """`MetricResult` of the run status: counters are cumulative, measurements are all kept."""

    name: str
    dry_run: bool = False
    phase: AnalysisPhase = P.RUNNING
    message: str = ""
    count: int = 0
    successful: int = 0
    failed: int = 0
    inconclusive: int = 0
    error: int = 0
    consecutive_error: int = 0
    consecutive_success: int = 0
    measurements: list[Measurement] = field(default_factory=list)


Measure = Callable[[Metric, float], Measurement]


def limit_breach(metric: Metric, result: MetricResult) -> tuple[AnalysisPhase | None, str]:
    """`assessMetricFailureInconclusiveOrError`: later checks overwrite earlier ones."""
    phase: AnalysisPhase | None = None
    message = ""
    failure_limit = int_value(metric.failure_limit)
    if failure_limit >= 0 and result.failed > failure_limit:
        phase = P.FAILED
        message = f"failed ({result.failed}) > failureLimit ({failure_limit})"
    inconclusive_limit = int_value(metric.inconclusive_limit)
    if result.inconclusive > inconclusive_limit:
        phase = P.INCONCLUSIVE
        message = f"inconclusive ({result.inconclusive}) > inconclusiveLimit ({inconclusive_limit})"
    error_limit = consecutive_error_limit(metric)
    if result.consecutive_error > error_limit:
        phase = P.ERROR
        message = (
            f"consecutiveErrors ({result.consecutive_error}) "
            f"> consecutiveErrorLimit ({error_limit})"
        )
    return phase, message


def metric_phase(metric: Metric, result: MetricResult, terminating: bool) -> AnalysisPhase:
    """`assessMetricStatus`, step by step (the metric phase row of docs/parity.md)."""
    if result.phase.completed:
        return result.phase
    if not result.measurements:
        return P.SUCCESSFUL if terminating else P.PENDING
    breach, _ = limit_breach(metric, result)
    if breach is not None:
        return breach
    success_limit = int_value(metric.consecutive_success_limit)
    if success_limit > 0 and result.consecutive_success >= success_limit:
        return P.SUCCESSFUL
    count = effective_count(metric)
    if count is not None and result.count >= count:
        failure_applicable = metric.failure_limit is None or int_value(metric.failure_limit) >= 0
        if success_limit > 0:
            return P.INCONCLUSIVE if failure_applicable else P.FAILED
        return P.SUCCESSFUL
    return P.SUCCESSFUL if terminating else P.RUNNING


class AnalysisRunState:
    """The status of one AnalysisRun. `time_scale` shrinks every wait (live local runs)."""

    def __init__(
        self, prepared: PreparedAnalysis, *, time_scale: float = 1.0, terminate: bool = False
    ) -> None:
        self.metrics = prepared.metrics
        self.dry_run = prepared.dry_run
        self.secrets = prepared.secrets
        self.time_scale = time_scale
        self.terminate_requested = terminate
        self.started_at: float | None = None
        self.phase: AnalysisPhase = P.PENDING
        self.message = ""
        self.results: dict[str, MetricResult] = {}

    @classmethod
    def from_spec(
        cls, spec: AnalysisSpec, args: Mapping[str, str], *, time_scale: float = 1.0
    ) -> AnalysisRunState:
        """A run from a spec; a spec Argo would refuse gives a run already in Error."""
        try:
            prepared = prepare(spec, args)
        except SpecError as exc:
            state = cls(PreparedAnalysis((), frozenset()), time_scale=time_scale)
            state.phase, state.message = P.ERROR, exc.message
            return state
        return cls(prepared, time_scale=time_scale, terminate=spec.terminate)

    # -- time ------------------------------------------------------------------------------

    def _seconds(self, text: str) -> float:
        return parse_duration(text) * self.time_scale

    def _wait_after(self, metric: Metric, last: Measurement) -> float | None:
        if last.phase == P.ERROR:
            return ERROR_RETRY_INTERVAL * self.time_scale
        if metric.interval:
            return self._seconds(metric.interval)
        return None

    # -- Argo's reconcile steps ------------------------------------------------------------

    def terminating(self) -> bool:
        """`IsTerminating`: terminate requested, or a non-dry-run metric already went bad."""
        if self.terminate_requested:
            return True
        bad = (P.FAILED, P.ERROR, P.INCONCLUSIVE)
        return any(r.phase in bad and not r.dry_run for r in self.results.values())

    def due(self, now: float) -> list[Metric]:
        """`generateMetricTasks`: metrics to measure at `now` (Prometheus never stays in flight)."""
        if self.terminating():
            return []
        tasks = []
        for metric in self.metrics:
            result = self.results.get(metric.name)
            if result is not None and result.phase.completed:
                continue
            if result is None or not result.measurements:
                if metric.initial_delay:
                    if self.started_at is None:
                        continue
                    if self.started_at + self._seconds(metric.initial_delay) > now:
                        continue
                tasks.append(metric)
                continue
            count = effective_count(metric)
            if count is not None and result.count >= count:
                continue
            last = result.measurements[-1]
            wait = self._wait_after(metric, last)
            # Argo measures when now is *after* the deadline, on a reconcile queued for exactly
            # that deadline, i.e. a few milliseconds later; we measure at the deadline itself.
            if now >= last.finished_at + (
                ERROR_RETRY_INTERVAL * self.time_scale if wait is None else wait
            ):
                tasks.append(metric)
        return tasks

    def record(self, metric: Metric, measurement: Measurement) -> None:
        """`runMeasurements`: counters per measurement phase; Error never consumes `count`."""
        result = self.results.get(metric.name)
        if result is None:
            result = MetricResult(name=metric.name, dry_run=metric.name in self.dry_run)
            self.results[metric.name] = result
        phase = measurement.phase
        if phase == P.SUCCESSFUL:
            result.successful += 1
            result.count += 1
            result.consecutive_error = 0
            result.consecutive_success += 1
        elif phase in (P.FAILED, P.INCONCLUSIVE):
            if phase == P.FAILED:
                result.failed += 1
            else:
                result.inconclusive += 1
            result.count += 1
            result.consecutive_error = 0
            result.consecutive_success = 0
        elif phase == P.ERROR:
            result.error += 1
            result.consecutive_error += 1
            result.consecutive_success = 0
        message = measurement.message
        for secret in self.secrets:
            message = message.replace(secret, "*****")
        if message != measurement.message:
            measurement = Measurement(
                measurement.phase, measurement.started_at, measurement.finished_at,
                measurement.value, message, measurement.metadata,
            )  # fmt: skip
        result.measurements.append(measurement)

    def assess(self, now: float) -> None:
        """`assessRunStatus`: metric phases, then the run phase from the worst metric."""
        if self.phase.completed:
            return
        terminating = self.terminating()
        if self.started_at is None:
            self.started_at = now
        worst: AnalysisPhase | None = None
        worst_message = "Run Terminated" if self.terminate_requested else ""
        everything_completed = True
        for metric in self.metrics:
            result = self.results.get(metric.name)
            if result is None:
                everything_completed = False
                continue
            status = metric_phase(metric, result, terminating)
            if result.phase != status:
                if result.measurements:
                    result.message = result.measurements[-1].message
                result.phase = status
            if not status.completed:
                everything_completed = False
                continue
            _, message = limit_breach(metric, result)
            if not result.dry_run:
                if worst is None or is_worse(worst, status):
                    worst = status
                    if message:
                        worst_message = f'Metric "{metric.name}" assessed {status} due to {message}'
                        if result.message:
                            worst_message += f': "Error Message: {result.message}"'
            else:
                if worst is None:
                    worst = P.SUCCESSFUL
                if message:
                    result.message = f"Metric assessed {status} due to {message}"
        worst_message = worst_message.strip()
        if terminating:
            new_phase, new_message = (worst or P.SUCCESSFUL), worst_message
        elif not everything_completed or worst is None:
            new_phase, new_message = P.RUNNING, ""
        else:
            new_phase, new_message = worst, worst_message
        if new_phase != self.phase:
            self.phase, self.message = new_phase, new_message

    def reconcile(self, now: float, measure: Measure) -> list[tuple[Metric, Measurement]]:
        """One controller pass at `now`; returns the measurements it took."""
        if self.phase.completed:
            return []
        taken = []
        for metric in self.due(now):
            measurement = measure(metric, now)
            self.record(metric, measurement)
            taken.append((metric, measurement))
        self.assess(now)
        if not self.phase.completed and self.terminating():
            self.assess(now)  # the status change re-queues the run at once
        return taken

    def terminate(self, now: float) -> None:
        """`spec.terminate: true` (what a Rollout does to a background analysis), then assess."""
        self.terminate_requested = True
        self.assess(now)

    def next_time(self) -> float | None:
        """`calculateNextReconcileTime`: the earliest moment a metric becomes due again."""
        if self.phase.completed:
            return None
        earliest: float | None = None
        for metric in self.metrics:
            result = self.results.get(metric.name)
            if result is not None and result.phase.completed:
                continue
            candidate: float | None = None
            if result is None or not result.measurements:
                if metric.initial_delay and self.started_at is not None:
                    candidate = self.started_at + self._seconds(metric.initial_delay)
            else:
                count = effective_count(metric)
                if count is None or result.count < count:
                    last = result.measurements[-1]
                    wait = self._wait_after(metric, last)
                    if wait is not None:
                        candidate = last.finished_at + wait
            if candidate is not None and (earliest is None or candidate < earliest):
                earliest = candidate
        return earliest

    def incomplete_bounded(self) -> list[str]:
        """Non-dry-run metrics with a finite count that have not finished (for window ends)."""
        names = []
        for metric in self.metrics:
            result = self.results.get(metric.name)
            if metric.name in self.dry_run or (result is not None and result.phase.completed):
                continue
            if effective_count(metric) is not None:
                names.append(metric.name)
        return names
