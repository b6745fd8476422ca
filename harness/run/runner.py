"""`harness run`: one scenario, one verdict.

    load scenario      bad input → exit 2, one line
    stack              local: the running one, or brought up now (down again at the end unless
                       kept); kubernetes: the cluster, checked, never brought up or down
    load               Locust in its own process for the whole run
    warm-up, baseline  timed windows (warm-up is never judged)
    fault              the Chaos Toolkit experiment in the main thread (faultphase.py); the
                       window runs from the method's start to its end (or its fixed length)
    recovery           after rollbacks and the fault reset
    finish             stop load, wait one scrape, replay analyses, judge, write the report

A watcher thread prints progress every ~2 s and, when the gate asks for it, checks the current
window for a breach (k6 `abortOnFail`): the run then stops early, rollbacks still run, and the
verdict is "aborted". Ctrl-C or SIGTERM at any point gives a partial report and exit 130.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from harness.errors import CouldNotRun, HarnessError, Interrupted
from harness.report.model import AnalysisRun, Report
from harness.run.analyses import LiveAnalyses, check_analyses, replay_one
from harness.run.faultphase import FaultResult, MethodClock, chaos_variables, run_fault
from harness.run.progress import ProgressPrinter, live_load, progress_line
from harness.run.signals import RunSignals
from harness.run.stack import KubeOptions, StackHandle, check_target, ensure_stack, take_down
from harness.run.timeline import Timeline, fault_window
from harness.scenario.loader import Scenario, load_scenario
from harness.scenario.model import JUDGED_PHASES, Phase
from harness.slo.model import PhaseWindow

TICK = 2.0  # seconds between progress lines (and breach checks)
STEP = 0.1  # granularity of the phase timers


@dataclass(frozen=True)
class RunOptions:
    scenario: str
    target: str = "local"
    out: Path = Path("reports")
    keep_up: bool = False
    junit: Path | None = None
    state_dir: Path | None = None
    root: Path | None = None  # project root (experiments/, loadtests/, deploy/)
    progress: TextIO | None = None
    kube: KubeOptions | None = None  # --target kubernetes: cluster, gateway, Prometheus


@dataclass(frozen=True)
class RunSummary:
    report: Report
    folder: Path
    seconds: float  # whole command
    verdict_seconds: float  # end of the last window → report written


def project_root() -> Path:
    """The working folder when it holds experiments/, else the checkout this package is in."""
    cwd = Path.cwd()
    if (cwd / "experiments").is_dir():
        return cwd
    return Path(__file__).resolve().parents[2]


class _LoadStopped(Exception):
    """Locust exited while the run still needed load."""


@dataclass
class _Run:
    """The state of one run, shared by the main thread and the watcher."""

    scenario: Scenario
    options: RunOptions
    root: Path
    state: Path
    printer: ProgressPrinter
    work: Path
    started: float = field(default_factory=time.time)
    timeline: Timeline = field(default_factory=Timeline)
    clock: MethodClock | None = None  # set while the experiment runs
    aborted: str | None = None
    abort_event: threading.Event = field(default_factory=threading.Event)
    invalid: list[str] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    handle: StackHandle | None = None
    fault: FaultResult | None = None
    phase_label: str = "starting"
    phase_started: float = 0.0
    phase_length: float | None = None

    @property
    def locust_prefix(self) -> Path:
        return self.work / "locust" / "locust"

    # -- what the watcher sees -------------------------------------------------------------

    def live_windows(self, now: float) -> list[PhaseWindow]:
        windows = self.timeline.so_far(now)
        clock = self.clock
        if clock is not None and clock.start is not None and clock.end is None:
            windows.append(PhaseWindow(phase=Phase.FAULT, start=clock.start, end=now))
        return windows

    def abort(self, reason: str) -> None:
        if self.aborted is not None:
            return
        self.aborted = reason
        self.abort_event.set()
        self.printer.say(f"aborting: {reason}")
        if self.clock is not None and self.clock.end is None:
            from harness.chaos.interrupts import request_stop

            request_stop()  # the chaos guard turns it into an interruption; rollbacks run


class _Watcher(threading.Thread):
    """Progress every TICK seconds; abort-on-breach checks during judged phases."""

    def __init__(self, run: _Run, source: object) -> None:
        super().__init__(name="harness-run-watcher", daemon=True)
        self.run_ = run
        self.source = source
        self.stop = threading.Event()
        ext = run.scenario.harness
        self.armed = any(
            (s.abort_on_breach if s.abort_on_breach is not None else ext.gate.abort_on_breach)
            for s in ext.slos
        )

    def run(self) -> None:
        while not self.stop.wait(TICK):
            try:
                self.tick()
            except Exception as exc:  # progress must never take the run down
                self.run_.printer.say(f"progress: {type(exc).__name__}: {exc}")

    def tick(self) -> None:
        from harness.slo.locust import read_history

        r = self.run_
        now = time.time()
        try:
            history = read_history(r.locust_prefix)
        except (OSError, HarnessError, ValueError):
            history = None
        load = live_load(history.rows) if history is not None else None
        r.printer.update(
            progress_line(
                r.scenario.name, r.phase_label, now - r.started, now - r.phase_started,
                r.phase_length, load,
            )
        )  # fmt: skip
        if not self.armed or r.aborted is not None:
            return
        windows = r.live_windows(now)
        if not windows or windows[-1].phase not in JUDGED_PHASES or windows[-1].end < now - 0.5:
            return
        from harness.slo.evaluate import check_breach

        try:
            reason = check_breach(
                r.scenario.harness, windows, now, source=self.source,  # type: ignore[arg-type]
                client=history, scrape_interval=r.scenario.harness.prometheus.scrape_interval,
            )  # fmt: skip
        except HarnessError:
            return  # missing data never aborts a run
        if reason:
            r.abort(reason)


def _collect_secrets(state: Path) -> set[str]:
    """Values that must never reach a report: the admin token and every generated secret."""
    found: set[str] = set()
    candidates = [state / "admin.token", state / "mesh" / "admin.token"]
    folder = state / "secrets"
    if folder.is_dir():
        candidates += [p for p in folder.rglob("*") if p.is_file()]
    for path in candidates:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            value = path.read_text(encoding="utf-8").strip()
            if len(value) >= 6:
                found.add(value)
    return found


def _prometheus_version(url: str) -> dict[str, str]:
    import httpx

    try:
        r = httpx.get(f"{url}/api/v1/status/buildinfo", timeout=2.0, trust_env=False)
        return {"prometheus": str(r.json()["data"]["version"])}
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return {}


@contextlib.contextmanager
def _workdir(state: Path) -> Iterator[Path]:
    base = state / "runs"
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="run-", dir=base) as tmp:
        yield Path(tmp)


def run_scenario(options: RunOptions, *, secrets: set[str] | None = None) -> RunSummary:
    """Run one scenario end to end; the report's `exit_code` is what the command exits with.

    `secrets` is filled with every secret value the run learns (pass the set your log
    formatter scrubs with, `harness.chaos.redact.RedactingFormatter`).
    """
    from harness.cluster.local.state import resolve_state_dir

    root = options.root or project_root()
    scenario = load_scenario(options.scenario, experiments_dir=root / "experiments", root=root)
    check_analyses(scenario.harness.analyses, root)
    check_target(options.target, options.kube)
    state = resolve_state_dir(options.state_dir)
    printer = ProgressPrinter(options.progress)
    signals = RunSignals()
    with signals.installed(), _workdir(state) as work:
        run = _Run(scenario, options, root, state, printer, work)
        if secrets is not None:
            run.secrets = secrets
        return _execute(run, signals)


def _execute(run: _Run, signals: RunSignals) -> RunSummary:
    from harness.load import LoadOptions, LoadRun
    from harness.prometheus.client import PrometheusClient
    from harness.slo.prometheus import ClientSource

    ext = run.scenario.harness
    interrupted = False
    load: LoadRun | None = None
    watcher: _Watcher | None = None
    live: LiveAnalyses | None = None
    client: PrometheusClient | None = None
    source: ClientSource | None = None
    try:
        try:
            run.printer.say(f"harness run {run.scenario.name}: {run.scenario.title}")
            run.handle = ensure_stack(
                run.options.target, run.state, run.root, kube=run.options.kube
            )
            if run.handle.started:
                run.printer.say(f"stack started in {run.state} (gateway {run.handle.gateway})")
            if run.handle.target == "kubernetes":
                from harness.run.kube_stack import check_experiment_namespace

                run.printer.say(f"target: {run.handle.where} (not started or stopped by the run)")
                check_experiment_namespace(
                    run.scenario.experiment, str(run.scenario.path), run.handle.namespace
                )
            run.secrets |= _collect_secrets(run.state) | run.handle.secrets
            client = PrometheusClient(run.handle.prometheus, timeout=10.0)
            source = ClientSource(client)
            live = LiveAnalyses(ext.analyses, prometheus=run.handle.prometheus, root=run.root)
            spec = ext.load
            load = LoadRun(
                LoadOptions(
                    host=spec.host or run.handle.gateway,
                    out_dir=run.work / "locust",
                    users=spec.users or 10,
                    spawn_rate=spec.spawn_rate or 5.0,
                    run_time_s=None,
                    shape=spec.shape,
                    locustfile=run.root / spec.locustfile,
                    extra_env={"HARNESS_STATE_DIR": str(run.state)},
                )
            )
            load.start()
            watcher = _Watcher(run, source)
            watcher.start()
            _phases(run, load, live)
        except KeyboardInterrupt:
            interrupted = True
            run.printer.say("interrupted: stopping load, writing a partial report")
        except _LoadStopped as exc:
            run.invalid.append(str(exc))
            run.printer.say(f"run stopped: {exc}")
        finally:
            end = time.time()
            run.timeline.close(end)
            signals.finishing = True
            if watcher is not None:
                watcher.stop.set()
        if run.handle is None or source is None:  # never got a stack: nothing to judge
            if interrupted:
                raise Interrupted("interrupted before the stack was up")
            raise CouldNotRun("the stack did not come up")
        if signals.received and not interrupted:
            interrupted = True  # e.g. SIGTERM during the experiment's rollbacks
        return _finish(run, load, live, source, end, interrupted=interrupted)
    finally:
        if load is not None:
            load.stop()
        if client is not None:
            client.close()
        run.printer.done()
        if run.handle is not None and run.handle.started and not run.options.keep_up:
            run.printer.say("taking the stack down (this run started it; --keep-up keeps it)")
            take_down(run.handle)


def _hold(run: _Run, load: object, phase: Phase, seconds: float) -> None:
    """Keep `phase` open for `seconds` (less when the run is aborted)."""
    run.phase_label, run.phase_started, run.phase_length = phase.value, time.time(), seconds
    deadline = time.time() + seconds
    while (left := deadline - time.time()) > 0:
        if run.abort_event.is_set():
            return
        if not getattr(load, "running", True):
            raise _LoadStopped("the load generator exited early (see locust.log)")
        time.sleep(min(STEP, left))


def _phases(run: _Run, load: object, live: LiveAnalyses) -> None:
    ext = run.scenario.harness
    tl = run.timeline
    for phase in (Phase.WARMUP, Phase.BASELINE):
        tl.begin(phase, time.time())
        live.phase_started(phase)
        run.printer.say(f"{phase.value}: {ext.phases.fixed(phase):g}s")
        _hold(run, load, phase, ext.phases.fixed(phase) or 0.0)
        live.phase_ended(phase)
        if run.aborted:
            return
    tl.close(time.time())
    fault = _fault(run, live)
    if fault.outcome.exit_code == 130 and run.aborted is None:
        raise KeyboardInterrupt(fault.signals[0] if fault.signals else "SIGINT")
    if run.aborted:
        return
    tl.begin(Phase.RECOVERY, time.time())
    live.phase_started(Phase.RECOVERY)
    length = ext.phases.fixed(Phase.RECOVERY) or 0.0
    run.printer.say(f"recovery: {length:g}s")
    _hold(run, load, Phase.RECOVERY, length)
    live.phase_ended(Phase.RECOVERY)


def _fault(run: _Run, live: LiveAnalyses) -> FaultResult:
    ext = run.scenario.harness
    assert run.handle is not None
    fixed = ext.phases.fixed(Phase.FAULT)
    # live analyses of the fault start and stop with the method (the fault window)
    clock = MethodClock(
        on_start=lambda: live.phase_started(Phase.FAULT),
        on_end=lambda: live.phase_ended(Phase.FAULT),
    )
    run.clock = clock
    run.phase_label, run.phase_started, run.phase_length = "fault", time.time(), fixed
    run.printer.say("fault: " + (f"{fixed:g}s" if fixed is not None else "until the method ends"))
    variables = chaos_variables(
        run.scenario.experiment,
        gateway=run.handle.gateway,
        prometheus=run.handle.prometheus,
        state=run.state,
        namespace=run.handle.namespace,
    )
    try:
        result = run_fault(
            run.scenario.path,
            journal=run.work / "journal.json",
            state=run.state,
            variables=variables,
            fixed=fixed,
            secrets=run.secrets,
            clock=clock,
            target=run.handle.target,
        )
    finally:
        window = fault_window(clock.start, clock.end, stopped_at=time.time(), fixed=fixed)
        if window is not None:
            run.timeline.add(Phase.FAULT, *window)
        live.phase_ended(Phase.FAULT)
        run.clock = None
    run.fault = result
    if result.invalid and result.journal is None:  # else the report judges the journal's ending
        run.invalid.append(f"chaos experiment: {result.invalid}")
    run.printer.say(f"chaos: {result.outcome.ending}: {result.outcome.reason}")
    return result


def _finish(
    run: _Run,
    load: object,
    live: LiveAnalyses | None,
    source: object,
    end: float,
    *,
    interrupted: bool,
) -> RunSummary:
    from harness.load import LoadRun
    from harness.report.junit import render_junit
    from harness.run.finish import finish_run

    assert run.handle is not None
    ext = run.scenario.harness
    scrape = ext.prometheus.scrape_interval
    # Locust writes its last CSV rows and the summary as it stops: do that meanwhile.
    stopper = threading.Thread(target=getattr(load, "stop", lambda: None), daemon=True)
    stopper.start()
    windows = sorted(run.timeline.windows, key=lambda w: w.start)
    analyses: list[AnalysisRun] = live.finish() if live is not None else []
    # Prometheus must have scraped past the window's end before anything is judged.
    time.sleep(max(0.0, end + scrape + 0.5 - time.time()))
    for spec in ext.analyses:
        if spec.mode == "replay":
            try:
                done = replay_one(spec, windows, prometheus=run.handle.prometheus, root=run.root)
            except HarnessError as exc:
                run.invalid.append(f"analysis {spec.template}: {exc}")
                continue
            if done is not None:
                analyses.append(done)
    stopper.join()
    warning = ""
    if isinstance(load, LoadRun):
        try:
            result = load.result()
            if not result.summary.trustworthy:
                warning = "; ".join(result.summary.warnings) or "load generator saturated"
        except HarnessError as exc:
            run.invalid.append(f"load: {exc}")
    journal = run.fault.journal if run.fault is not None else None
    report, files = finish_run(
        run.scenario,
        windows,
        reports_dir=run.options.out,
        source=source,  # type: ignore[arg-type]
        scrape_interval=scrape,
        locust_prefix=run.locust_prefix,
        load_warning=warning,
        journal=journal,
        analyses=analyses,
        target=run.options.target,
        versions=_prometheus_version(run.handle.prometheus),
        interrupted=interrupted,
        aborted=run.aborted,
        invalid=run.invalid,
        secrets=sorted(run.secrets),
    )
    if run.options.junit is not None:
        run.options.junit.parent.mkdir(parents=True, exist_ok=True)
        run.options.junit.write_text(render_junit(report), encoding="utf-8")
    last = max((w.end for w in windows), default=end)
    return RunSummary(report, files.folder, time.time() - run.started, time.time() - last)
