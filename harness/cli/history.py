"""`harness history [SCENARIO]` and `harness compare [RUN [RUN]]`: the run store, read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer()

DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db", envvar="HARNESS_HISTORY_DB", help="Run history store (default OUT/history.sqlite)."
    ),
]
OutOpt = Annotated[
    Path, typer.Option("--out", help="Reports folder (where the store is by default).")
]


def _path(db: Path | None, out: Path) -> Path:
    from harness.history.store import FILENAME

    return db if db is not None else out / FILENAME


@app.command("history")
def history(
    scenario: Annotated[str | None, typer.Argument(help="Only this scenario's runs.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Only this target.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many runs.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
    import_dir: Annotated[
        Path | None,
        typer.Option("--import", help="Index the report folders under DIR first."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Give --run this name (gate.regression.against).")
    ] = None,
    run: Annotated[str | None, typer.Option("--run", help="The run --name names.")] = None,
    db: DbOpt = None,
    out: OutOpt = Path("reports"),
) -> None:
    """List runs, newest first: id, start, scenario, target, verdict, load, commit, name."""
    from harness.errors import BadInput
    from harness.history.index import import_folders
    from harness.history.store import RunStore

    path = _path(db, out)
    if (name is None) != (run is None):
        raise BadInput("--name and --run go together: --name NAME --run RUN_ID")
    with RunStore(path, create=import_dir is not None or path.is_file()) as store:
        if import_dir is not None:
            done = import_folders(store, import_dir)
            typer.echo(f"indexed {len(done.indexed)} run(s) from {import_dir}", err=True)
            for where, why in done.skipped:
                typer.echo(f"  skipped {where}: {why}", err=True)
        if name is not None and run is not None:
            store.set_name(run, name)
        rows = store.runs(scenario, target=target, limit=limit)
    if as_json:
        typer.echo(json.dumps({"runs": [r.__dict__ for r in rows]}, indent=2, default=list))
        return
    if not rows:
        typer.echo(f"no runs{f' of {scenario}' if scenario else ''} in {path}")
        return
    from harness.report.text import when

    typer.echo(
        f"{'run':40} {'start':23} {'target':10} {'verdict':12} {'load':12} "
        f"{'req/s':>7} {'commit':8} name"
    )
    for r in rows:
        load = f"{r.users}u" if r.load_model == "closed" else r.load_model
        rate = f"{r.rate:.1f}" if r.rate is not None else "-"
        typer.echo(
            f"{r.run_id:40} {when(r.started):23} {r.target:10} {r.verdict:12} {load:12} "
            f"{rate:>7} {(r.sut_commit or '-')[:8]:8} {r.name or ''}"
        )


@app.command("compare")
def compare(
    run: Annotated[
        str | None, typer.Argument(help="A run id or name (default: the latest).")
    ] = None,
    other: Annotated[
        str | None,
        typer.Argument(help="The run to compare with (default: the last passing run before it)."),
    ] = None,
    confidence: Annotated[
        float | None, typer.Option("--confidence", help="e.g. 0.95 (default: the scenario's).")
    ] = None,
    min_effect: Annotated[
        str | None, typer.Option("--min-effect", help="e.g. 10% or 10 (the SLI's unit).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    gate: Annotated[
        bool, typer.Option("--gate", help="Exit 1 when an SLI got significantly worse.")
    ] = False,
    db: DbOpt = None,
    out: OutOpt = Path("reports"),
) -> None:
    """Compare two runs SLI by SLI and phase by phase (Mann-Whitney U, Hodges-Lehmann shift);
    prints the comparison and writes it next to the first run's report."""
    from pydantic import ValidationError

    from harness.errors import BadInput
    from harness.history.compare import compare_runs, evidence_from_store, resolve_pair
    from harness.history.store import RunStore
    from harness.report.comparison import comparison_markdown
    from harness.scenario.model import RegressionPolicy

    path = _path(db, out)
    with RunStore(path, create=False) as store:
        current, reference, note = resolve_pair(store, run, other)
        mine = evidence_from_store(store, current)
        policy = mine.policy or RegressionPolicy()
        try:
            update = {"confidence": confidence, "min_effect": min_effect}
            policy = RegressionPolicy.model_validate(
                {**policy.model_dump(), **{k: v for k, v in update.items() if v is not None}}
            )
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            field = "--" + str(err["loc"][0]).replace("_", "-")
            raise BadInput(f"{field}: {err['msg']}") from None
        if reference is None:
            typer.echo(f"{current.run_id}: nothing to compare with: {note}")
            raise typer.Exit(0)
        basis = other if other is not None else "last-pass"
        result = compare_runs(mine, evidence_from_store(store, reference), policy, basis=basis)
    text = comparison_markdown(result, current.run_id)
    folder = Path(current.folder) if current.folder and Path(current.folder).is_dir() else out
    stem = folder / f"compared-with-{reference.run_id}"
    doc = result.model_copy(update={"overlay": {}}).model_dump(mode="json")
    Path(f"{stem}.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    Path(f"{stem}.md").write_text(text, encoding="utf-8")
    typer.echo(json.dumps(doc, indent=2) if as_json else text)
    typer.echo(f"wrote {stem}.md and {stem}.json", err=True)
    if gate and any(s.worse for s in result.shifts):
        raise typer.Exit(1)
