"""The root `harness` command. Each command group lives in its own module and is joined here.

Command modules import only typer, the standard library and `harness.errors` at import time, so
that `harness --help` stays fast; heavy imports happen inside the command functions.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from harness import __version__
from harness.cli import analyze, chaos, cluster, history, load, report, rollout, run, validate
from harness.errors import ExitCode, HarnessError

app = typer.Typer(
    name="harness",
    help="Chaos and load-testing harness: one scenario, one verdict.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"harness {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Chaos and load-testing harness: one scenario, one verdict."""


# One Typer() per command group, joined in registration order (the order `harness --help`
# lists them). Groups joined without a name add their commands at the top level, so
# `harness run SCENARIO` stays one word; `chaos` is a named group of its own.
app.add_typer(analyze.app)
app.add_typer(cluster.app)  # up, status, logs, down
app.add_typer(load.app)
app.add_typer(report.app)  # gate, report
app.add_typer(history.app)  # history, compare
app.add_typer(run.app)
app.add_typer(validate.app)
app.add_typer(chaos.app, name="chaos")
app.add_typer(rollout.app, name="rollout")


def main() -> None:
    """Console-script entry point: run the CLI and map errors to exit codes in one place."""
    # typer vendors click; its exception classes are reached through the public
    # ClickException base that every usage error derives from.
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    try:
        rc = app(standalone_mode=False)
    except HarnessError as exc:
        typer.echo(f"harness: {exc}", err=True)
        sys.exit(int(exc.exit_code))
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("harness: interrupted", err=True)
        sys.exit(int(ExitCode.INTERRUPTED))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        sys.exit(int(ExitCode.BAD_INPUT))
    except ClickException as exc:  # usage errors: unknown option, missing argument, bad value
        exc.show()
        sys.exit(int(ExitCode.BAD_INPUT))
    sys.exit(rc if isinstance(rc, int) else 0)
