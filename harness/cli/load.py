"""`harness load`: Locust against the running stack (or any `--host`), headless or web UI."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer()


@app.command(
    "load",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": False},
)
def load(
    ctx: typer.Context,
    web: Annotated[
        bool, typer.Option("--web", help="Open Locust's web UI instead of running headless.")
    ] = False,
    users: Annotated[int, typer.Option("-u", "--users", help="Users (a shape's base level).")] = 10,
    spawn_rate: Annotated[
        float, typer.Option("-r", "--spawn-rate", help="Users started per second.")
    ] = 5.0,
    run_time: Annotated[
        str | None,
        typer.Option(
            "-t",
            "--run-time",
            help="30s, 5m... (a shape's duration). Default 60s; --web: until stopped.",
        ),
    ] = None,
    shape: Annotated[
        str | None, typer.Option("--shape", help="steady, ramp, step, spike or double_wave.")
    ] = None,
    peak: Annotated[int | None, typer.Option("--peak", help="A shape's peak user count.")] = None,
    locustfile: Annotated[
        Path | None,
        typer.Option(
            "--locustfile", "-f", help="Locustfile to run (default loadtests/locustfile.py)."
        ),
    ] = None,
    processes: Annotated[
        int,
        typer.Option(
            "--processes", help="N > 1: a Locust master and N worker processes on this machine."
        ),
    ] = 1,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default reports/load-<time>).")
    ] = None,
    host: Annotated[
        str | None, typer.Option("--host", help="Target URL instead of the local stack's gateway.")
    ] = None,
    web_port: Annotated[
        int, typer.Option("--web-port", help="Port of the web UI on 127.0.0.1.")
    ] = 8089,
    allow_host: Annotated[
        list[str] | None,
        typer.Option("--allow-host", help="A non-loopback host --host may name (repeat for more)."),
    ] = None,
) -> None:
    """Run Locust journeys against the stack; write its CSVs and a JSON summary of client-side SLIs.

    Anything after `--` goes to Locust unchanged (e.g. `-- --shape-steps 6`).
    """
    from dataclasses import replace

    from harness.errors import Interrupted
    from harness.load.options import DEFAULT_LOCUSTFILE, PROJECT_ROOT, LoadOptions, parse_duration
    from harness.load.runner import run_load
    from harness.load.target import credentials_env, resolve_host

    seconds = parse_duration(run_time) if run_time is not None else (None if web else 60.0)
    out_dir = out or PROJECT_ROOT / "reports" / time.strftime("load-%Y%m%d-%H%M%S", time.gmtime())
    options = LoadOptions(
        host="http://unset",  # validated below, after every flag is known to be well-formed
        out_dir=out_dir,
        users=users,
        spawn_rate=spawn_rate,
        run_time_s=seconds,
        shape=shape,
        peak=peak,
        locustfile=(locustfile or DEFAULT_LOCUSTFILE).resolve(),
        processes=processes,
        web=web,
        web_port=web_port,
        extra_args=tuple(ctx.args),
    )
    target = resolve_host(host, allow_host or ())
    extra_env = credentials_env(target, out_dir) if host else {}
    options = replace(options, host=target, extra_env=extra_env)

    def announce(url: str) -> None:
        typer.echo(f"Locust web UI: {url}  (Ctrl-C to stop)", err=True)

    result = run_load(options, on_started=announce)
    s = result.summary
    p = s.latency_ms
    typer.echo(
        f"{s.requests} requests, {s.rps:.1f}/s, error ratio {s.error_ratio:.2%}, "
        f"p50/p95/p99 {p.p50}/{p.p95}/{p.p99} ms"
    )
    for cause, count in s.errors_by_cause.items():
        typer.echo(f"  {cause}: {count.count} ({count.ratio:.2%})")
    for warning in s.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"results: {result.out_dir}")
    if result.interrupted and not web:
        raise Interrupted("load run interrupted; partial results written")
