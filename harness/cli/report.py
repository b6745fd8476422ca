"""`harness gate REPORT` and `harness report REPORT`: judge and render a saved run again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer()


@app.command("gate")
def gate(
    report: Annotated[Path, typer.Argument(help="reports/<run-id>/report.json or its folder")],
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Also write a JUnit XML file here.")
    ] = None,
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario",
            help="Judge under this scenario's SLOs and gate policy "
            "instead of the ones recorded in the report.",
        ),
    ] = None,
) -> None:
    """Re-judge a saved report; exit like `harness run` (0 passed, 1 failed, 3 no verdict)."""
    from harness.report.build import rejudge
    from harness.report.junit import render_junit
    from harness.report.layout import read_report
    from harness.scenario.loader import load_scenario

    saved = read_report(report)
    override = load_scenario(scenario).harness if scenario is not None else None
    judged = rejudge(saved, override)
    mark = {
        "passed": "PASSED",
        "failed": "FAILED",
        "inconclusive": "COULD NOT JUDGE",
        "aborted": "ABORTED",
        "interrupted": "INTERRUPTED",
    }[judged.verdict.value]
    typer.echo(f"{mark}: {judged.scenario.name} (run {judged.run_id}), exit {judged.exit_code}")
    for reason in judged.reasons:
        typer.echo(f"  - {reason}")
    if junit is not None:
        junit.parent.mkdir(parents=True, exist_ok=True)
        junit.write_text(render_junit(judged), encoding="utf-8")
    raise typer.Exit(judged.exit_code)


@app.command("report")
def report_cmd(
    report: Annotated[Path, typer.Argument(help="reports/<run-id>/report.json or its folder")],
) -> None:
    """Re-judge report.json with `harness gate`'s judge, then re-render report.html and
    summary.md (next to it) with that verdict; say so when it differs from the recorded one."""
    from harness.report.build import rejudge
    from harness.report.layout import read_report, render_views

    saved = read_report(report)
    judged = rejudge(saved)  # the one judge: `harness gate` exits with this very verdict
    folder = report if report.is_dir() else report.parent
    html, md = render_views(judged, folder)
    if (judged.verdict, judged.exit_code) != (saved.verdict, saved.exit_code):
        typer.echo(
            f"note: report.json records {saved.verdict.value} (exit {saved.exit_code}) but its "
            f"evidence judges {judged.verdict.value} (exit {judged.exit_code}); rendered the "
            "re-judged verdict, as `harness gate` exits with it",
            err=True,
        )
    typer.echo(f"verdict: {judged.verdict.value} (exit {judged.exit_code}), re-judged")
    typer.echo(f"wrote {html} and {md}")
