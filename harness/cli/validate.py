"""`harness validate [PATH...]`: lint manifests, Istio and Kong config and AnalysisTemplates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harness.errors import ExitCode

app = typer.Typer()


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Manifest files or folders (default: deploy/kubernetes/)."),
    ] = None,
) -> None:
    """Check manifests, Istio and Kong config and Argo AnalysisTemplates before a cluster does.

    Each finding names the file, the object, the field and the fix. Errors exit 2;
    warnings and info alone exit 0.
    """
    from harness.mesh.findings import Severity
    from harness.validate.lint import lint

    findings = lint(paths or [Path("deploy/kubernetes")])
    for f in findings:
        typer.echo(f.render())
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = sum(1 for f in findings if f.severity is Severity.WARNING)
    hints = len(findings) - errors - warnings
    typer.echo(f"{errors} error(s), {warnings} warning(s), {hints} info", err=True)
    if errors:
        raise typer.Exit(int(ExitCode.BAD_INPUT))
