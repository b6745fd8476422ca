"""What `harness load` was asked to do, validated once (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.contracts.durations import Dialect, NotADuration, split, total
from harness.errors import BadInput

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOADTESTS = PROJECT_ROOT / "loadtests"
DEFAULT_LOCUSTFILE = LOADTESTS / "locustfile.py"
SHAPES_DIR = LOADTESTS / "shapes"
DEFAULT_WEB_PORT = 8089

_RUN_TIME = Dialect({"h": 3600.0, "m": 60.0, "s": 1.0})


def parse_duration(text: str, *, option: str = "--run-time") -> float:
    """Seconds in Locust's run-time spelling: `90`, `90s`, `1m30s`, `1h`."""
    stripped = text.strip()
    # Locust's additions to the grammar: a bare number means seconds (`1h30` is 3630 s), and
    # the units come in the order h, m, s, each once, whole hours and minutes.
    try:
        parts = split(stripped + "s" if stripped[-1:].isdigit() else stripped, _RUN_TIME)
    except NotADuration:
        parts = ()
    units = [part.unit for part in parts]
    if (
        not parts
        or units != sorted(set(units), key="hms".index)
        or any("." in part.number for part in parts if part.unit != "s")
    ):
        raise BadInput(f"{option}: {text!r} is not a duration (use e.g. 30s, 5m, 1h30m)")
    seconds = total(parts, _RUN_TIME)
    if seconds <= 0:
        raise BadInput(f"{option}: {text!r} must be longer than 0 seconds")
    return seconds


def available_shapes() -> list[str]:
    """Shape names: one file per shape in loadtests/shapes/ (private helpers start with `_`)."""
    return sorted(
        p.stem
        for p in SHAPES_DIR.glob("*.py")
        if not p.stem.startswith("_") and p.stem not in {"timeline"}
    )


@dataclass(frozen=True)
class LoadOptions:
    """One `harness load` run. `run_time_s` None means: until stopped (web UI) or the shape ends."""

    host: str
    out_dir: Path
    users: int = 10
    spawn_rate: float = 5.0
    run_time_s: float | None = 60.0
    shape: str | None = None
    peak: int | None = None
    locustfile: Path = DEFAULT_LOCUSTFILE
    processes: int = 1
    web: bool = False
    web_port: int = DEFAULT_WEB_PORT
    extra_env: dict[str, str] = field(default_factory=dict)
    extra_args: tuple[str, ...] = ()
    # the open model: `--arrival-rate` for loadtests/common/open_model.py ("40", "0:10,8:40")
    arrival_rate: str | None = None

    def __post_init__(self) -> None:
        if self.users < 1:
            raise BadInput(f"-u/--users: {self.users} must be at least 1")
        if not self.spawn_rate > 0:
            raise BadInput(f"-r/--spawn-rate: {self.spawn_rate} must be more than 0")
        if self.processes < 1:
            raise BadInput(f"--processes: {self.processes} must be at least 1")
        if self.peak is not None and self.peak < 1:
            raise BadInput(f"--peak: {self.peak} must be at least 1")
        if not 1 <= self.web_port <= 65535:
            raise BadInput(f"--web-port: {self.web_port} is not a TCP port")
        if not self.locustfile.is_file():
            raise BadInput(
                f"--locustfile: {self.locustfile} does not exist (give a locustfile path)"
            )
        if self.shape is not None and self.shape not in available_shapes():
            names = ", ".join(available_shapes())
            raise BadInput(f"--shape: unknown shape {self.shape!r} (choose one of: {names})")
        if self.arrival_rate is not None and (self.shape is not None or self.processes > 1):
            raise BadInput(
                "--arrival-rate: the open model runs in one Locust process without a shape"
            )
        if self.shape is None and self.peak is not None:
            raise BadInput("--peak: only shapes have a peak (add --shape ramp, step, spike, ...)")

    @property
    def shape_file(self) -> Path | None:
        return SHAPES_DIR / f"{self.shape}.py" if self.shape else None
