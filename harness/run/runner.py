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

A watcher thread (watcher.py) prints progress every ~2 s and, when the gate asks for it, checks
the current window for a breach (k6 `abortOnFail`): the run then stops early, rollbacks still
run, and the verdict is "aborted". Ctrl-C or SIGTERM at any point gives a partial report and
exit 130. The phases themselves are in phases.py, the shared state in state.py.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import CouldNotRun, HarnessError, Interrupted
from harness.report.model import AnalysisRun
from harness.run.analyses import LiveAnalyses, check_analyses, replay_one
from harness.run.hosts import check_hosts, locust_env
from harness.run.infra import InfraWatch, check_parts
from harness.run.phases import LoadStopped, run_phases
from harness.run.preflight import check_writable, preflight
from harness.run.progress import ProgressPrinter
from harness.run.signals import RunSignals
from harness.run.stack import check_target, ensure_stack, take_down
from harness.run.state import RunOptions, RunState, RunSummary
from harness.run.watcher import Watcher
from harness.scenario.arrival import format_rate
from harness.scenario.loader import load_scenario

if TYPE_CHECKING:
    from harness.contracts.promql import PromQLSource
    from harness.load import LoadRun
    from harness.prometheus.client import PrometheusClient
    from harness.slo.infra import InfraEvent

__all__ = ["project_root", "run_scenario"]


def project_root() -> Path:
    """The working folder when it holds experiments/, else the checkout this package is in."""
    cwd = Path.cwd()
    if (cwd / "experiments").is_dir():
        return cwd
    return Path(__file__).resolve().parents[2]


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
    check_writable(options.out, "--out")  # before anything else: nothing is lost at the end
    if options.junit is not None:
        check_writable(options.junit.parent, "--junit")
    scenario = load_scenario(options.scenario, experiments_dir=root / "experiments", root=root)
    check_analyses(scenario.harness.analyses, root)
    options = check_hosts(scenario, options)  # load.host, --gateway/--prometheus: allow-list
    check_target(options.target, options.kube)
    state = resolve_state_dir(options.state_dir)
    printer = ProgressPrinter(options.progress)
    signals = RunSignals()
    with signals.installed(), _workdir(state) as work:
        run = RunState(scenario, options, root, state, printer, work)
        if secrets is not None:
            run.secrets = secrets
        return _execute(run, signals)


def _execute(run: RunState, signals: RunSignals) -> RunSummary:
    from harness.load import LoadOptions, LoadRun
    from harness.prometheus.client import PrometheusClient

    ext = run.scenario.harness
    interrupted = False
    load: LoadRun | None = None
    watcher: Watcher | None = None
    infra: InfraWatch | None = None
    live: LiveAnalyses | None = None
    client: PrometheusClient | None = None
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
            if run.handle.target == "local":
                check_parts(run.state)  # every part up, before any load or fault
            run.secrets |= _collect_secrets(run.state) | run.handle.secrets
            client = PrometheusClient(run.handle.prometheus, timeout=10.0)
            run.preflight = preflight(run.scenario, client, run.root)  # bad query: exit 2
            for q in run.preflight if run.options.verbose else ():
                run.printer.say(f"query {q.owner} {q.field}: {q.query}")
            live = LiveAnalyses(ext.analyses, prometheus=run.handle.prometheus, root=run.root)
            spec = ext.load
            load = LoadRun(
                LoadOptions(
                    host=(host := spec.host or run.handle.gateway),
                    out_dir=run.work / "locust",
                    users=spec.users or 10,
                    spawn_rate=spec.spawn_rate or 5.0,
                    run_time_s=None,
                    shape=spec.shape,
                    locustfile=run.root / spec.locustfile,
                    extra_env=locust_env(spec.env, host, run.handle, run.work),
                    arrival_rate=format_rate(spec.rate)
                    if spec.model == "open" and spec.rate
                    else None,
                )
            )
            infra = InfraWatch(run, load, on_fatal=run.halt)  # baseline before the load
            load.start()
            infra.start()
            watcher = Watcher(run, client)
            watcher.start()
            run_phases(run, load, live)
        except KeyboardInterrupt:
            interrupted = True
            run.printer.say("interrupted: stopping load, writing a partial report")
        except LoadStopped as exc:
            run.invalid.append(str(exc))
            run.printer.say(f"run stopped: {exc}")
        finally:
            end = time.time()
            run.timeline.close(end)
            signals.finishing = True
            if watcher is not None:
                watcher.stop.set()
            if infra is not None:
                infra.stop.set()
        if run.handle is None or client is None:  # never got a stack: nothing to judge
            if interrupted:
                raise Interrupted("interrupted before the stack was up")
            raise CouldNotRun("the stack did not come up")
        if signals.received and not interrupted:
            interrupted = True  # e.g. SIGTERM during the experiment's rollbacks
        events = infra.snapshot() if infra is not None else []
        return _finish(run, load, live, client, end, interrupted=interrupted, infra=events)
    finally:
        if load is not None:
            load.stop()
        if client is not None:
            client.close()
        run.printer.done()
        if run.handle is not None and run.handle.started and not run.options.keep_up:
            run.printer.say("taking the stack down (this run started it; --keep-up keeps it)")
            take_down(run.handle)


def _finish(
    run: RunState,
    load: LoadRun | None,
    live: LiveAnalyses | None,
    source: PromQLSource,
    end: float,
    *,
    interrupted: bool,
    infra: Sequence[InfraEvent] = (),
) -> RunSummary:
    from harness.history.index import sut_commit
    from harness.report.junit import render_junit
    from harness.run.finish import finish_run
    from harness.run.rollouts import collect_rollouts

    assert run.handle is not None
    ext = run.scenario.harness
    scrape = ext.prometheus.scrape_interval
    # Locust writes its last CSV rows and the summary as it stops: do that meanwhile.
    stopper = threading.Thread(target=load.stop if load is not None else None, daemon=True)
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
    if load is not None:
        try:
            result = load.result()
            if not result.summary.trustworthy:
                warning = "; ".join(result.summary.warnings) or "load generator saturated"
        except HarnessError as exc:
            run.invalid.append(f"load: {exc}")
    journal = run.fault.journal if run.fault is not None else None
    since = min((w.start for w in windows), default=run.started)
    rollouts = collect_rollouts(ext, target=run.handle.target, state=run.state, since=since)
    report, files = finish_run(
        run.scenario,
        windows,
        reports_dir=run.options.out,
        source=source,
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
        infra=infra,
        preflight=run.preflight,
        history_db=run.options.history_db,
        sut_commit=sut_commit(run.root),
        rollouts=rollouts,
    )
    if run.options.junit is not None:
        run.options.junit.parent.mkdir(parents=True, exist_ok=True)
        run.options.junit.write_text(render_junit(report), encoding="utf-8")
    last = max((w.end for w in windows), default=end)
    return RunSummary(report, files.folder, time.time() - run.started, time.time() - last)
