"""`harness chaos`: run experiments with forced rollbacks, list and clean up injected faults."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from harness.cli.kube_options import ContextOpt, KubeconfigOpt

app = typer.Typer(
    name="chaos",
    help="Chaos Toolkit experiments with rollbacks on every ending.",
    no_args_is_help=True,
)

TargetOption = Annotated[
    str, typer.Option("--target", help="Whose injected faults: local or kubernetes.")
]
StateDir = Annotated[
    Path | None,
    typer.Option(
        "--state-dir", help="Local state folder (default $HARNESS_STATE_DIR or .harness)."
    ),
]


def _state_dir(value: Path | None) -> Path:
    from harness.chaos.context import default_state_dir

    return value if value is not None else default_state_dir()


def _setup_logging(secrets: set[str], verbose: bool, level: int = logging.INFO) -> None:
    """Every log line goes through the redacting formatter (secrets known at run time)."""
    from harness.chaos.redact import RedactingFormatter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter(logging.Formatter("[%(asctime)s %(levelname)s] %(message)s"), secrets)
    )
    for name in ("chaostoolkit", "harness"):
        log = logging.getLogger(name)
        log.handlers[:] = [handler]
        log.setLevel(logging.DEBUG if verbose else level)
        log.propagate = False
    try:  # chaostoolkit-prometheus logs through logzero's own stderr handler
        import logzero

        logzero.logger.setLevel(logging.DEBUG if verbose else logging.INFO)
        for h in logzero.logger.handlers:
            h.setFormatter(RedactingFormatter(h.formatter or logging.Formatter(), secrets))
    except ImportError:
        pass


def _target(value: str) -> str:
    from harness.errors import BadInput

    if value not in ("local", "kubernetes"):
        raise BadInput(f"--target: unknown target {value!r} (use local or kubernetes)")
    return value


@app.command("run")
def run(
    experiment: Annotated[Path, typer.Argument(help="Experiment file (YAML or JSON).")],
    target: Annotated[
        str, typer.Option("--target", help="local (this machine's stack) or kubernetes.")
    ] = "local",
    journal: Annotated[
        Path, typer.Option("--journal", help="Where to write the (redacted) journal.")
    ] = Path("journal.json"),
    state_dir: StateDir = None,
    fault_ttl: Annotated[
        float, typer.Option("--fault-ttl", help="Seconds after which injected faults expire.")
    ] = 300.0,
    var: Annotated[
        list[str] | None,
        typer.Option("--var", help="Override a configuration entry: KEY=VALUE (repeatable)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
) -> None:
    """Run EXPERIMENT; rollbacks and a full fault reset happen on every ending.

    Exit codes: 0 steady state held, 1 deviated or failed, 2 bad input, 3 could not run
    (a fault did not take, no data, faults left), 130 interrupted.
    """
    from harness.chaos.runner import RunRequest, Target, run_experiment
    from harness.errors import BadInput

    try:
        chosen = Target(target)
    except ValueError:
        raise BadInput(f"--target: unknown target {target!r} (use local or kubernetes)") from None
    if fault_ttl <= 0:
        raise BadInput("--fault-ttl: must be a positive number of seconds")
    if kubeconfig is not None or context is not None:
        if chosen is not Target.KUBERNETES:
            raise BadInput("--kubeconfig/--context: only with --target kubernetes")
        from harness.cluster.kubernetes import resolve_target, use_for_chaos

        use_for_chaos(resolve_target(kubeconfig=kubeconfig, context=context, namespace=None))
    variables: dict[str, str] = {}
    for item in var or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise BadInput(
                f"--var: {item!r} is not KEY=VALUE (e.g. --var gateway_url=http://127.0.0.1:8000)"
            )
        variables[key.strip()] = value
    secrets: set[str] = set()
    _setup_logging(secrets, verbose)
    request = RunRequest(
        experiment=experiment,
        journal=journal,
        state_dir=_state_dir(state_dir),
        target=chosen,
        fault_ttl_seconds=fault_ttl,
        variables=variables,
    )
    result = run_experiment(request, secrets_seen=secrets)
    typer.echo(
        f"chaos: {result.outcome.ending}: {result.outcome.reason} (journal: {result.journal})",
        err=True,
    )
    raise typer.Exit(int(result.outcome.exit_code))


@app.command("faults")
def faults(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    target: TargetOption = "local",
    state_dir: StateDir = None,
) -> None:
    """List faults that may still be active (from the fault ledger)."""
    from harness.chaos.ledger import FaultLedger

    now = time.time()
    active = FaultLedger.in_state_dir(_state_dir(state_dir), _target(target)).active(now)
    if as_json:
        rows = [{**r.to_json(), "expires_in_seconds": round(r.expires_at - now, 1)} for r in active]
        typer.echo(json.dumps({"faults": rows}, indent=2))
        return
    if not active:
        typer.echo("no active faults")
        return
    for r in active:
        typer.echo(
            f"{r.fault_id}  {r.kind:<8} {r.target:<24} {r.status:<9} "
            f"expires in {r.expires_at - now:.0f}s"
        )


@app.command("cleanup")
def cleanup(target: TargetOption = "local", state_dir: StateDir = None) -> None:
    """Remove every injected fault (ledger and mesh); safe to run any number of times."""
    from harness.chaos.context import ChaosContext
    from harness.chaos.ledger import FaultLedger
    from harness.chaos.reset import reset_faults
    from harness.errors import ExitCode

    _setup_logging(set(), False, logging.WARNING)  # the summary line below says it all
    ctx = ChaosContext.for_state_dir(_state_dir(state_dir))
    if _target(target) == "local":
        report = reset_faults(ctx.ledger, ctx.faults_if_connected())
    else:  # undo through the recorded chaosistio removals; no local mesh involved
        report = reset_faults(FaultLedger.in_state_dir(ctx.state_dir, "kubernetes"), None)
    typer.echo(report.summary())
    raise typer.Exit(0 if report.ok else int(ExitCode.COULD_NOT_JUDGE))
