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
    warnings and info alone exit 0; nothing to check (no YAML, no documents) exits 2.
    """
    from harness.mesh.findings import Severity
    from harness.validate.lint import lint

    given = paths or [Path("deploy/kubernetes")]
    _something_to_check(given)
    findings = lint(given)
    for f in findings:
        typer.echo(f.render())
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = sum(1 for f in findings if f.severity is Severity.WARNING)
    hints = len(findings) - errors - warnings
    typer.echo(f"{errors} error(s), {warnings} warning(s), {hints} info", err=True)
    if errors:
        raise typer.Exit(int(ExitCode.BAD_INPUT))


def _something_to_check(paths: list[Path]) -> None:
    """BadInput when `paths` hold no YAML document: "0 error(s)" must never mean "nothing read"."""
    from harness.errors import BadInput
    from harness.manifests import read_documents, yaml_files

    files = yaml_files(paths)
    where = ", ".join(str(p) for p in paths)
    if not files:
        raise BadInput(
            f"{where}: nothing checked: no *.yaml or *.yml files there "
            "(give manifest files or a folder that holds them)"
        )
    # the first mapping document of any file is enough; lint reads them all afterwards
    if not any(next(read_documents(f), None) is not None for f in files):
        raise BadInput(
            f"{where}: nothing checked: {len(files)} YAML file(s), no document in them "
            "(an empty file or comments only)"
        )
