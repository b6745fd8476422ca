"""`harness analyze`: replay or run an Argo Rollouts AnalysisTemplate against Prometheus."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from harness.errors import BadInput, Interrupted

app = typer.Typer()

if TYPE_CHECKING:
    from harness.analysis.model import Metric
    from harness.analysis.state import AnalysisRunState, Measurement


# 9999-12-31T23:59:59Z, the last moment RFC 3339 can write; also keeps float seconds exact
_LAST_SECOND = 253402300799.0


def _parse_time(text: str, option: str) -> float:
    """RFC 3339 (with an offset or `Z`) or Unix seconds, between 1970 and the year 9999."""
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if not 0 <= seconds <= _LAST_SECOND:  # also false for nan
            raise BadInput(
                f"{option}: {text!r} is not a time between 1970 and 9999 (use RFC 3339 like "
                "2026-01-02T15:04:05Z, or Unix seconds such as 1767366245)"
            )
        return seconds
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise BadInput(
            f"{option}: {text!r} is not a time (use RFC 3339 like 2026-01-02T15:04:05Z, "
            "or Unix seconds)"
        ) from None
    if moment.tzinfo is None:
        raise BadInput(f"{option}: {text!r} has no UTC offset (add Z or +01:00)")
    return moment.timestamp()


def _parse_args(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise BadInput(f"--arg {pair!r}: expected NAME=VALUE")
        out[name] = value
    return out


@app.command()
def analyze(
    template: Annotated[Path, typer.Argument(help="AnalysisTemplate (or AnalysisRun) YAML file.")],
    arg: Annotated[
        list[str] | None, typer.Option("--arg", help="Argument value, NAME=VALUE (repeatable).")
    ] = None,
    prometheus: Annotated[
        str | None,
        typer.Option(
            help="Prometheus URL; overrides the template's address. Default: the "
            "template's, else http://127.0.0.1:9090."
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="Replay from (RFC 3339 or Unix seconds).")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Replay until (RFC 3339 or Unix seconds).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    interval_scale: Annotated[
        float, typer.Option(help="Live runs: multiply interval, initialDelay and retry waits.")
    ] = 1.0,
) -> None:
    """Judge an AnalysisTemplate exactly as Argo Rollouts would: exit 0 Successful, 1 Failed,
    3 Error or Inconclusive, 2 bad input."""
    import math
    import time

    from harness.analysis.drivers import replay, run_live
    from harness.analysis.loader import load_template, prepare_checked, required_args
    from harness.analysis.render import exit_code, measurement_line
    from harness.analysis.state import AnalysisRunState
    from harness.prometheus.client import Clients

    if (start is None) != (end is None):
        raise BadInput("--start and --end go together (give both to replay, neither to run live)")
    if not (math.isfinite(interval_scale) and interval_scale > 0):
        raise BadInput(f"--interval-scale: {interval_scale} must be a finite number > 0")
    window = None
    if start is not None and end is not None:
        window = (_parse_time(start, "--start"), _parse_time(end, "--end"))
        if window[1] < window[0]:
            raise BadInput("--end is before --start")
        if interval_scale != 1.0:
            raise BadInput("--interval-scale applies to live runs only (drop --start/--end)")
    supplied = _parse_args(arg or [])
    spec = load_template(template)
    required_args(spec, supplied, str(template))
    prepared = prepare_checked(spec, supplied, str(template))
    state = AnalysisRunState(prepared, time_scale=interval_scale, terminate=spec.spec.terminate)

    def show(metric: Metric, measurement: Measurement) -> None:
        if not json_out:
            typer.echo(measurement_line(metric.name, measurement))

    source = Clients()
    notes: list[str] = []
    try:
        if window is not None:
            left = replay(
                state, source, start=window[0], end=window[1], prometheus=prometheus,
                on_measurement=show,
            )  # fmt: skip
            if left:
                notes.append(
                    "the window ended before these metrics finished: "
                    + ", ".join(left)
                    + " (widen --start/--end)"
                )
        else:
            try:
                run_live(state, source, prometheus=prometheus, on_measurement=show)
            except KeyboardInterrupt:
                state.terminate(time.time())
                notes.append("interrupted: run terminated")
                _render(state, notes, json_out)
                raise Interrupted("interrupted") from None
    finally:
        source.close()
    _render(state, notes, json_out)
    raise typer.Exit(int(exit_code(state.phase)))


def _render(state: AnalysisRunState, notes: list[str], json_out: bool) -> None:
    import json

    from harness.analysis.render import summary_lines, to_json

    if json_out:
        typer.echo(json.dumps(to_json(state, notes), indent=2))
    else:
        for line in summary_lines(state, notes):
            typer.echo(line)
