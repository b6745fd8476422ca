"""Run one Chaos Toolkit experiment with rollbacks on every ending and a full fault reset.

Phases (each visible in the journal and the log):

    load + validate      bad input → ConfigError (exit 2), one line
    map (local target)   chaosk8s/chaosistio activities → harness.chaos.local (see mapping.py)
    chaoslib run         hypothesis before, method, hypothesis after, rollbacks (strategy
                         "always", so failed and interrupted runs roll back too)
    rollbacks fallback   when an interruption escaped chaoslib before its rollbacks started
    full fault reset     ledger + mesh, read back (reset.py); signals ignored meanwhile
    judge + journal      outcome.py; the journal is redacted before it touches the disk
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from harness.chaos.context import ChaosContext, Connector, bound
from harness.chaos.interrupts import InterruptGuard, Phase
from harness.chaos.ledger import DEFAULT_TTL_SECONDS, FaultLedger
from harness.chaos.mapping import Mapped, map_to_kubernetes, map_to_local
from harness.chaos.outcome import Outcome, judge
from harness.chaos.redact import redact_journal, secret_values
from harness.chaos.reset import ResetReport, reset_faults
from harness.contracts.cluster import Cluster
from harness.contracts.faults import FaultControl
from harness.errors import BadInput, ConfigError, CouldNotRun, Interrupted
from harness.userfiles import parse_yaml, read_text

logger = logging.getLogger("harness.chaos")


class Target(StrEnum):
    LOCAL = "local"
    KUBERNETES = "kubernetes"


@dataclass(frozen=True)
class RunRequest:
    experiment: Path
    journal: Path
    state_dir: Path
    target: Target = Target.LOCAL
    fault_ttl_seconds: float = DEFAULT_TTL_SECONDS
    # configuration overrides, like `chaos run --var key=value` (ports, URLs per target)
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    journal: Path
    reset: ResetReport
    mapped: tuple[Mapped, ...] = ()
    signals: tuple[str, ...] = ()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def load_experiment(path: Path) -> dict[str, Any]:
    """Parse a YAML or JSON experiment and check it with chaoslib; ConfigError when wrong."""
    source = str(path)
    # JSON is read as YAML (a superset), as chaostoolkit does for `.json` files
    text = read_text(path, fix="give a YAML or JSON experiment file")
    data = parse_yaml(text, source, fix="fix the syntax there")
    if data is None:
        raise ConfigError(source, "", "the file is empty", "an experiment starts with `title:`")
    if not isinstance(data, dict):
        raise ConfigError(source, "", "an experiment must be a mapping", "start with `title:`")
    return data


def validate_experiment(experiment: Mapping[str, Any], source: str) -> None:
    """chaoslib's own validation (imports python providers, checks their arguments)."""
    from chaoslib.exceptions import ChaosException
    from chaoslib.experiment import ensure_experiment_is_valid

    # chaoslib logs its own progress and errors here; bad input must stay one line.
    chaos_log = logging.getLogger("chaostoolkit")
    was_disabled, chaos_log.disabled = chaos_log.disabled, True
    try:
        ensure_experiment_is_valid(dict(experiment))
    except ChaosException as exc:
        raise ConfigError(
            source,
            "",
            f"invalid experiment: {_one_line(str(exc))}",
            f"check with `chaos validate {source}`",
        ) from exc
    finally:
        chaos_log.disabled = was_disabled


def _build_runner(
    guard: InterruptGuard, secrets_seen: set[str], tracker: Any, events: Sequence[Any] = ()
) -> Any:
    from chaoslib.run import Runner
    from chaoslib.types import Strategy

    class GuardedRunner(Runner):  # type: ignore[misc]  # chaoslib ships no type information
        """chaoslib's Runner without its signal handlers (the guard owns them)."""

        def prepare(
            self, experiment: dict[str, Any], settings: dict[str, Any], experiment_vars: Any
        ) -> None:
            """Resolve configuration and secrets (chaoslib errors surface as bad input)."""
            self.configure(experiment, settings, experiment_vars)
            # Known before the first activity runs, so the log formatter scrubs them too.
            secrets_seen.update(
                secret_values(experiment.get("configuration"), self.config, self.secrets)
            )
            tracker.config, tracker.secrets = self.config, self.secrets

        def run(
            self,
            experiment: dict[str, Any],
            settings: dict[str, Any] | None = None,
            experiment_vars: Any = None,
            journal: dict[str, Any] | None = None,
        ) -> dict[str, Any]:
            result: dict[str, Any] = self._run(
                self.strategy,
                self.schedule,
                experiment,
                journal,
                self.config,
                self.secrets,
                self.settings,
                self.event_registry,
            )
            return result

    runner = GuardedRunner(Strategy.DEFAULT)
    runner.register_event_handler(tracker)
    for handler in events:
        runner.register_event_handler(handler)
    return runner


def _make_tracker(guard: InterruptGuard) -> Any:
    from chaoslib.run import RunEventHandler

    class PhaseTracker(RunEventHandler):  # type: ignore[misc]  # untyped base class
        def __init__(self) -> None:
            self.method_started = False
            self.rollbacks_started = False
            self.config: dict[str, Any] = {}
            self.secrets: dict[str, Any] = {}

        def start_method(self, experiment: Any) -> None:
            self.method_started = True

        def start_rollbacks(self, experiment: Any) -> None:
            self.rollbacks_started = True
            guard.enter(Phase.ROLLING_BACK)

        def rollbacks_completed(self, experiment: Any, journal: Any) -> None:
            guard.enter(Phase.RESETTING)

    return PhaseTracker()


def _fallback_rollbacks(experiment: dict[str, Any], journal: dict[str, Any], tracker: Any) -> None:
    """Play the declared rollbacks when an interruption escaped chaoslib before it could."""
    from chaoslib.run import apply_rollbacks

    logger.warning("rollbacks did not start inside the run; playing them now")
    runs: list[Any] = []
    journal["rollbacks"] = runs
    try:
        apply_rollbacks(experiment, tracker.config, tracker.secrets, None, None, None, runs)
    except (Exception, KeyboardInterrupt) as exc:  # the fault reset follows regardless
        logger.error("rollbacks stopped: %s", _one_line(str(exc)) or type(exc).__name__)


def write_journal(path: Path, journal: Mapping[str, Any], secrets: set[str]) -> None:
    """Write the redacted journal atomically (a reader never sees half a file)."""
    safe = redact_journal(journal, secrets)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(safe, indent=2, default=str), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise CouldNotRun(f"cannot write the journal {path}: {exc.strerror or exc}") from exc


def run_experiment(
    request: RunRequest,
    *,
    cluster: Cluster | None = None,
    faults: FaultControl | None = None,
    connector: Connector | None = None,
    secrets_seen: set[str] | None = None,
    events: Sequence[Any] = (),
) -> RunResult:
    """Run the experiment; always roll back and reset faults; return the judged outcome.

    `secrets_seen` is filled with every resolved secret value as soon as it is known; pass the
    set a log formatter scrubs with (redact.RedactingFormatter). `events` are extra chaoslib
    `RunEventHandler`s (e.g. `harness run` timing the method); they run in the main thread, and
    a KeyboardInterrupt raised inside one (a signal) interrupts the run like anywhere else.
    """
    from chaoslib.run import initialize_run_journal

    source = str(request.experiment)
    experiment = load_experiment(request.experiment)
    if request.target is Target.LOCAL:
        experiment, mapped = map_to_local(experiment, source)
    else:
        experiment, mapped = map_to_kubernetes(experiment, source)
    secrets = secrets_seen if secrets_seen is not None else set()
    if request.target is Target.LOCAL and API_KEY_ENV not in os.environ:
        key = local_gateway_key(request.state_dir)
        if key:
            secrets.add(key)
            os.environ[API_KEY_ENV] = key  # this process runs one experiment, then exits
    validate_experiment(experiment, source)  # resolves env secrets: the key must be set first
    ctx = ChaosContext.for_state_dir(
        request.state_dir,
        cluster=cluster,
        faults=faults,
        connector=connector,
        fault_ttl_seconds=request.fault_ttl_seconds,
    )
    if request.target is Target.KUBERNETES:
        # Its own ledger: records of local mesh faults are not this target's to reset.
        ctx.ledger = FaultLedger.in_state_dir(request.state_dir, str(request.target))
        ctx.connector = _no_local_stack
    guard = InterruptGuard()
    tracker = _make_tracker(guard)
    runner = _build_runner(guard, secrets, tracker, events)
    journal: dict[str, Any] = initialize_run_journal(experiment)
    settings = {"runtime": {"rollbacks": {"strategy": "always"}}}
    _prepare(runner, experiment, settings, request, source)
    reset = ResetReport()
    with bound(ctx), guard.installed():
        if ctx.ledger.outstanding():
            # A previous run died (SIGKILL, power loss): clear what it left before starting.
            logger.warning("faults left by an earlier run: resetting them before starting")
            guard.enter(Phase.RESETTING)
            leftover = reset_faults(ctx.ledger, ctx.faults_for_reset())
            guard.enter(Phase.RUNNING)
            if not leftover.ok:
                raise CouldNotRun(f"cannot start: {leftover.summary()}")
            if guard.interrupted:
                raise Interrupted("interrupted before the experiment started (leftovers reset)")
        try:
            journal = runner.run(experiment, settings, journal=journal)
        except KeyboardInterrupt:
            journal["status"] = "interrupted"
        except Exception as exc:  # chaoslib crashed: still roll back and reset below
            logger.error("the run crashed: %s", _one_line(str(exc)))
            journal["status"] = "aborted"
        finally:
            guard.enter(Phase.RESETTING)  # from here on signals wait for the journal
            if tracker.method_started and not tracker.rollbacks_started:
                _fallback_rollbacks(experiment, journal, tracker)
            reset = reset_faults(ctx.ledger, ctx.faults_for_reset())
            ctx.ledger.prune()
            ctx.close()
        outcome = judge(
            journal,
            signals=tuple(guard.received),
            invalid=tuple(ctx.invalid),
            reset_problem="" if reset.ok else reset.summary(),
        )
        journal["harness"] = _harness_section(request, outcome, guard, ctx, reset, mapped)
        write_journal(request.journal, journal, secrets)
    return RunResult(outcome, request.journal, reset, tuple(mapped), tuple(guard.received))


def typed_variables(
    configuration: Any, variables: Mapping[str, str]
) -> dict[str, str | int | float]:
    """--var values take the type of the entry they override when it is a plain number.

    A pause (`pauses: {after: ${fault_seconds}}`) must stay a number once overridden from the
    command line; anything else stays the string the user typed.
    """
    declared = configuration if isinstance(configuration, dict) else {}
    out: dict[str, str | int | float] = {}
    for key, value in variables.items():
        default = declared.get(key)
        typed: str | int | float = value
        if isinstance(default, int | float) and not isinstance(default, bool):
            try:
                typed = int(value) if isinstance(default, int) else float(value)
            except ValueError as exc:
                raise BadInput(
                    f"--var {key}={value}: configuration.{key} is a number; pass a number"
                ) from exc
        out[key] = typed
    return out


def _prepare(
    runner: Any,
    experiment: dict[str, Any],
    settings: dict[str, Any],
    request: RunRequest,
    source: str,
) -> None:
    from chaoslib.exceptions import ChaosException

    try:
        variables = typed_variables(experiment.get("configuration"), request.variables)
        runner.prepare(experiment, settings, (variables, {}))
    except ChaosException as exc:
        raise ConfigError(
            source,
            "configuration/secrets",
            _one_line(str(exc)),
            "set the environment variable it names, or pass --var KEY=VALUE",
        ) from exc


def _harness_section(
    request: RunRequest,
    outcome: Outcome,
    guard: InterruptGuard,
    ctx: ChaosContext,
    reset: ResetReport,
    mapped: list[Mapped],
) -> dict[str, Any]:
    """What the harness adds to the Chaos Toolkit journal."""
    return {
        "target": str(request.target),
        "ending": str(outcome.ending),
        "exit_code": int(outcome.exit_code),
        "reason": outcome.reason,
        "signals": list(guard.received),
        "rollbacks_abandoned": guard.rollbacks_abandoned,
        "invalid": list(ctx.invalid),
        "reset": {
            "undone": list(reset.undone),
            "failed": list(reset.failed),
            "remaining": list(reset.remaining),
            "mesh_checked": reset.mesh_checked,
        },
        "mapped": [m.__dict__ for m in mapped],
    }


# The gateway key experiments use (`secrets: {gateway: {apikey: {type: env, key: ...}}}`); on the
# local target it defaults to the mobile-app consumer's key that `harness up` generated from
# deploy/kubernetes/kong.yaml's Secret `kong-consumer-credentials`.
API_KEY_ENV = "HARNESS_API_KEY"
_LOCAL_KEY_FILE = ("secrets", "kong-consumer-credentials", "mobile-app-api-key")


def local_gateway_key(state_dir: Path) -> str | None:
    """The gateway API key of the local stack in `state_dir`, if it generated one."""
    try:
        value = state_dir.joinpath(*_LOCAL_KEY_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return value or None


def _no_local_stack(state_dir: Path) -> tuple[Cluster | None, FaultControl | None]:
    raise CouldNotRun("harness.chaos.local activities need --target local")
