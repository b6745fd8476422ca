"""Locust glue shared by the shape files: command-line options and the abstract base class.

Options (also settable as environment variables, and shown in the web UI):
  --shape-users / LOCUST_SHAPE_USERS            --shape-peak / LOCUST_SHAPE_PEAK
  --shape-duration / LOCUST_SHAPE_DURATION      --shape-spawn-rate / LOCUST_SHAPE_SPAWN_RATE
  --shape-steps / LOCUST_SHAPE_STEPS
This module is imported once per process whatever the number of shape files, so the options are
registered once (argparse refuses the same option twice).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, ClassVar

from locust import LoadTestShape, events
from timeline import ShapeParams, Tick

_DEFAULTS = ShapeParams()


@events.init_command_line_parser.add_listener  # type: ignore[untyped-decorator]  # locust events are untyped
def _add_shape_options(parser: Any) -> None:
    group = parser.add_argument_group("load shape (harness loadtests/shapes)")
    for name, kind, default, text in (
        ("users", int, _DEFAULTS.users, "base user count"),
        ("peak", int, _DEFAULTS.peak, "peak user count"),
        ("duration", float, _DEFAULTS.duration, "seconds until the shape stops the test"),
        ("spawn-rate", float, _DEFAULTS.spawn_rate, "users started per second"),
        ("steps", int, _DEFAULTS.steps, "levels of the step shape"),
    ):
        group.add_argument(
            f"--shape-{name}",
            type=kind,
            default=default,
            env_var=f"LOCUST_SHAPE_{name.upper().replace('-', '_')}",
            help=f"{text} (default {default})",
        )


@events.init.add_listener  # type: ignore[untyped-decorator]  # locust events are untyped
def _check_shape_options(environment: Any, **_: Any) -> None:
    """Refuse bad shape options before the test starts, in one line naming the option."""
    problems = params_from(getattr(environment, "parsed_options", None)).problems()
    if problems:
        field, problem = problems[0].split(": ", 1)
        sys.stderr.write(f"--shape-{field.replace('_', '-')}: {problem}\n")
        sys.exit(2)


def params_from(options: Any) -> ShapeParams:
    """Shape parameters from Locust's parsed options (defaults for anything missing)."""
    if options is None:
        return _DEFAULTS
    return ShapeParams(
        users=int(getattr(options, "shape_users", _DEFAULTS.users)),
        peak=int(getattr(options, "shape_peak", _DEFAULTS.peak)),
        duration=float(getattr(options, "shape_duration", _DEFAULTS.duration)),
        spawn_rate=float(getattr(options, "shape_spawn_rate", _DEFAULTS.spawn_rate)),
        steps=int(getattr(options, "shape_steps", _DEFAULTS.steps)),
    )


class HarnessShape(LoadTestShape):
    """A shape driven by one pure timeline; subclasses name it. Abstract: Locust skips it."""

    abstract: ClassVar[bool] = True
    timeline: ClassVar[Callable[[ShapeParams, float], Tick]]

    def params(self) -> ShapeParams:
        environment = getattr(self.runner, "environment", None)
        return params_from(getattr(environment, "parsed_options", None))

    def tick(self) -> Tick:
        return type(self).timeline(self.params(), self.get_run_time())  # type: ignore[no-untyped-call]  # locust API
