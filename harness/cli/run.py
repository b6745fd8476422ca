"""`harness run SCENARIO`: the stack, the load, the fault, the verdict, the report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harness.cli.kube_options import ContextOpt, KubeconfigOpt, NamespaceOpt

app = typer.Typer()

_KUBE_FLAGS = ("--kubeconfig", "--context", "--namespace", "--gateway", "--prometheus")


@app.command()
def run(
    scenario: Annotated[
        str, typer.Argument(help="A scenario file, or a name in experiments/ (e.g. smoke).")
    ],
    target: Annotated[
        str, typer.Option("--target", help="local (this machine) or kubernetes.")
    ] = "local",
    out: Annotated[
        Path, typer.Option("--out", help="Reports folder: the run goes to OUT/<run-id>/.")
    ] = Path("reports"),
    keep_up: Annotated[
        bool, typer.Option("--keep-up", help="Leave a stack this run started running.")
    ] = False,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Also write the JUnit XML here.")
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            envvar="HARNESS_STATE_DIR",
            help="Local state folder (default .harness/ in the working directory).",
        ),
    ] = None,
    history_db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            envvar="HARNESS_HISTORY_DB",
            help="Run history store (default OUT/history.sqlite).",
        ),
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Chaos Toolkit's own log lines and every resolved query too."
        ),
    ] = False,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    namespace: NamespaceOpt = None,
    gateway: Annotated[
        str | None,
        typer.Option(
            "--gateway",
            help="kubernetes: gateway URL, e.g. a port-forward (or $HARNESS_GATEWAY_URL).",
        ),
    ] = None,
    prometheus: Annotated[
        str | None,
        typer.Option(
            "--prometheus",
            help="kubernetes: Prometheus URL, e.g. a port-forward (or $HARNESS_PROMETHEUS_URL).",
        ),
    ] = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="A non-loopback host load.host, --gateway or --prometheus may name (repeat).",
        ),
    ] = None,
) -> None:
    """Run SCENARIO and exit with its verdict: 0 passed, 1 failed or aborted, 2 bad input,
    3 could not judge, 130 interrupted (a partial report is still written).

    --target kubernetes runs against a cluster that is already deployed (never brought up or
    down): --gateway and --prometheus say where its gateway and Prometheus answer."""
    import logging

    from harness.cli.chaos import _setup_logging
    from harness.errors import BadInput
    from harness.run.runner import run_scenario
    from harness.run.state import RunOptions
    from harness.run.target import KubeOptions

    kube = KubeOptions(kubeconfig, context, namespace, gateway, prometheus)
    if target != "kubernetes":
        values = (kubeconfig, context, namespace, gateway, prometheus)
        given = [f for f, v in zip(_KUBE_FLAGS, values, strict=True) if v]
        if given:
            raise BadInput(f"{given[0]}: only with --target kubernetes")

    secrets: set[str] = set()
    _setup_logging(secrets, verbose, logging.INFO if verbose else logging.WARNING)
    if not verbose:  # chaoslib warns about things harness run does on purpose (forced rollbacks)
        logging.getLogger("chaostoolkit").setLevel(logging.ERROR)
    summary = run_scenario(
        RunOptions(
            scenario=scenario,
            target=target,
            out=out,
            keep_up=keep_up,
            junit=junit,
            state_dir=state_dir,
            kube=kube,
            verbose=verbose,
            allowed_hosts=tuple(allow_host or ()),
            history_db=history_db,
        ),
        secrets=secrets,
    )
    report = summary.report
    typer.echo(
        f"verdict: {report.verdict} (exit {report.exit_code}) in {summary.seconds:.1f}s, "
        f"{summary.verdict_seconds:.1f}s after the last window",
        err=True,
    )
    for reason in report.reasons[:10]:
        typer.echo(f"  {reason}", err=True)
    if report.compared_with is not None:
        other = report.compared_with.run_id
        worse = [s for s in report.compared_with.shifts if s.worse]
        typer.echo(
            f"compared with {other}: {len(worse)} SLI(s) worse"
            if other
            else f"compared with nothing: {report.compared_with.note}",
            err=True,
        )
    typer.echo(f"report: {summary.folder / 'report.html'}", err=True)
    raise typer.Exit(int(report.exit_code))
