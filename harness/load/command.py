"""The Locust command lines for one run (pure): a single process, or a master and its workers."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from harness.load.options import LoadOptions
from harness.process import LOOPBACK

CSV_PREFIX = "locust"


@dataclass(frozen=True)
class LocustPlan:
    """Everything the runner starts: the main process (alone or master) and the workers."""

    main: tuple[str, ...]
    workers: tuple[tuple[str, ...], ...]
    deadline_s: float | None  # wall-clock bound for a headless run; None = until stopped


def _files(options: LoadOptions) -> str:
    files = [str(options.locustfile)]
    if options.shape_file is not None:
        files.append(str(options.shape_file))
    return ",".join(files)


def _load_args(options: LoadOptions) -> list[str]:
    if options.shape is None:
        args = ["--users", str(options.users), "--spawn-rate", f"{options.spawn_rate:g}"]
        if options.run_time_s is not None:
            args += ["--run-time", f"{options.run_time_s:g}s"]
        if options.arrival_rate is not None:
            args += ["--arrival-rate", options.arrival_rate]
        return args
    # A shape ignores -u/-r/-t (Locust warns); it reads its own options instead.
    args = ["--shape-users", str(options.users), "--shape-spawn-rate", f"{options.spawn_rate:g}"]
    if options.peak is not None:
        args += ["--shape-peak", str(options.peak)]
    if options.run_time_s is not None:
        args += ["--shape-duration", f"{options.run_time_s:g}"]
    return args


def plan(options: LoadOptions, *, master_port: int | None = None) -> LocustPlan:
    """Locust argv for `options`; `master_port` is required when `processes` > 1."""
    locust = (sys.executable, "-m", "locust")
    files = _files(options)
    main = [
        *locust,
        "-f",
        files,
        "--host",
        options.host,
        "--csv",
        str(options.out_dir / CSV_PREFIX),
        "--html",
        str(options.out_dir / "locust.html"),
        # failures are data for the report, not a crash: exit 0 whenever the run completed
        "--exit-code-on-error",
        "0",
        "--stop-timeout",
        "5",
        *_load_args(options),
    ]
    if options.web:
        main += ["--web-host", LOOPBACK, "--web-port", str(options.web_port)]
    else:
        main += ["--headless", "--only-summary"]
    workers: list[tuple[str, ...]] = []
    if options.processes > 1:
        if master_port is None:
            raise ValueError("a distributed run needs a master port")
        main += ["--master", "--master-bind-host", LOOPBACK, "--master-bind-port", str(master_port)]
        if not options.web:
            # a worker that cannot start must fail the run, not hang it
            main += ["--expect-workers", str(options.processes), "--expect-workers-max-wait", "30"]
        worker = (
            *locust,
            "-f",
            files,
            "--worker",
            "--master-host",
            LOOPBACK,
            "--master-port",
            str(master_port),
        )
        workers = [worker] * options.processes
    main += list(options.extra_args)
    deadline = None
    if not options.web:
        length = options.run_time_s if options.run_time_s is not None else 60.0
        deadline = length + 60.0  # start-up, worker hand-shake, stop-timeout and final CSV write
    return LocustPlan(main=tuple(main), workers=tuple(workers), deadline_s=deadline)
