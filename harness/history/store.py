"""The run store: one SQLite file (stdlib `sqlite3`) indexing every finished run.

Default `reports/history.sqlite` (next to the run folders), else `$HARNESS_HISTORY_DB` or a
command's `--db`. The schema is versioned with SQLite's `user_version`; opening a file runs the
migration steps it has not had yet, in one transaction each, and refuses a file written by a
newer harness. docs/history.md draws the tables.

    runs     one row per run: scenario, target, commit of the system under test, start,
             verdict, load model and rate, the report folder, a name (schema 2)
    phases   the windows as they happened
    slis     every SLO's value and verdict per phase
    series   per SLO: where its per-second samples come from and how many seconds each covers
    samples  the per-second samples themselves, whatever their source (Prometheus range
             queries, Locust's history, per-second histograms), with the phase they fall in
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness.errors import BadInput, CouldNotRun
from harness.slo.comparison import SampleSeries
from harness.slo.model import PhaseWindow

ENV = "HARNESS_HISTORY_DB"
FILENAME = "history.sqlite"

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        scenario TEXT NOT NULL,
        target TEXT NOT NULL,
        sut_commit TEXT,
        started REAL NOT NULL,
        ended REAL NOT NULL,
        created REAL NOT NULL,
        verdict TEXT NOT NULL,
        exit_code INTEGER NOT NULL,
        load_model TEXT NOT NULL,
        users INTEGER,
        spawn_rate REAL,
        rate REAL,
        folder TEXT,
        reasons TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX runs_by_scenario ON runs (scenario, target, started);
    CREATE TABLE phases (
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        phase TEXT NOT NULL, start REAL NOT NULL, "end" REAL NOT NULL,
        PRIMARY KEY (run_id, phase, start)
    );
    CREATE TABLE slis (
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        slo TEXT NOT NULL, phase TEXT NOT NULL, value REAL, verdict TEXT,
        objective REAL, unit TEXT NOT NULL DEFAULT '', direction TEXT,
        PRIMARY KEY (run_id, slo, phase)
    );
    CREATE TABLE series (
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        slo TEXT NOT NULL, source TEXT NOT NULL, step REAL NOT NULL, window REAL NOT NULL,
        PRIMARY KEY (run_id, slo)
    );
    CREATE TABLE samples (
        run_id TEXT NOT NULL, slo TEXT NOT NULL, t REAL NOT NULL, phase TEXT,
        value REAL NOT NULL,
        PRIMARY KEY (run_id, slo, t),
        FOREIGN KEY (run_id, slo) REFERENCES series (run_id, slo) ON DELETE CASCADE
    ) WITHOUT ROWID;
    """,
    # 2: runs can be named (`harness history --name NAME --run RUN`; gate.regression.against)
    """
    ALTER TABLE runs ADD COLUMN name TEXT;
    CREATE UNIQUE INDEX runs_by_name ON runs (name) WHERE name IS NOT NULL;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def default_path(reports_dir: Path) -> Path:
    """`$HARNESS_HISTORY_DB`, else `<reports>/history.sqlite`."""
    env = os.environ.get(ENV, "").strip()
    return Path(env) if env else reports_dir / FILENAME


@dataclass(frozen=True)
class RunRow:
    run_id: str
    scenario: str
    target: str
    sut_commit: str | None
    started: float
    ended: float
    created: float
    verdict: str
    exit_code: int
    load_model: str
    users: int | None
    spawn_rate: float | None
    rate: float | None
    folder: str | None
    reasons: tuple[str, ...]
    name: str | None = None


_RUN_COLUMNS = (
    "run_id, scenario, target, sut_commit, started, ended, created, verdict, exit_code, "
    "load_model, users, spawn_rate, rate, folder, reasons, name"
)


def _row(r: sqlite3.Row) -> RunRow:
    values = dict(r)
    values["reasons"] = tuple(json.loads(values["reasons"] or "[]"))
    return RunRow(**values)


class RunStore:
    """An open store. Use as a context manager; every write is one transaction."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        if not create and not path.is_file():
            raise BadInput(
                f"{path}: no run history here (run `harness run`, or `harness history "
                "--import DIR` to index existing report folders)"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=10.0)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise CouldNotRun(f"{path}: cannot use the run history ({exc})") from exc

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        have = self.version
        if have > SCHEMA_VERSION:
            raise BadInput(
                f"{self.path}: run history schema {have} is newer than this harness reads "
                f"({SCHEMA_VERSION}); use a newer harness or another --db"
            )
        for number in range(have + 1, SCHEMA_VERSION + 1):
            # executescript commits first; the BEGIN makes each step all-or-nothing
            self.db.executescript(
                f"BEGIN; {MIGRATIONS[number - 1]}; PRAGMA user_version = {number}; COMMIT;"
            )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.db:
            yield self.db

    # -- reading ---------------------------------------------------------------------------

    def runs(
        self,
        scenario: str | None = None,
        *,
        target: str | None = None,
        verdict: str | None = None,
        before: float | None = None,
        limit: int | None = None,
    ) -> list[RunRow]:
        """Runs, newest first."""
        where: list[str] = []
        args: list[str | float] = []
        for column, value in (("scenario", scenario), ("target", target), ("verdict", verdict)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if before is not None:
            where.append("started < ?")
            args.append(before)
        sql = f"SELECT {_RUN_COLUMNS} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY started DESC, run_id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_row(r) for r in self.db.execute(sql, args)]

    def get(self, key: str) -> RunRow | None:
        """A run by id or by name."""
        r = self.db.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_id = ? OR name = ? "
            "ORDER BY run_id = ? DESC LIMIT 1",
            (key, key, key),
        ).fetchone()
        return _row(r) if r is not None else None

    def last_pass(self, scenario: str, target: str, *, before: float) -> RunRow | None:
        found = self.runs(scenario, target=target, verdict="passed", before=before, limit=1)
        return found[0] if found else None

    def phases(self, run_id: str) -> list[PhaseWindow]:
        rows = self.db.execute(
            'SELECT phase, start, "end" FROM phases WHERE run_id = ? ORDER BY start', (run_id,)
        )
        return [PhaseWindow(phase=r["phase"], start=r["start"], end=r["end"]) for r in rows]

    def samples(self, run_id: str) -> dict[str, SampleSeries]:
        out: dict[str, SampleSeries] = {}
        for s in self.db.execute("SELECT * FROM series WHERE run_id = ?", (run_id,)):
            points = self.db.execute(
                "SELECT t, value FROM samples WHERE run_id = ? AND slo = ? ORDER BY t",
                (run_id, s["slo"]),
            )
            out[s["slo"]] = SampleSeries(
                source=s["source"],
                step=s["step"],
                window=s["window"],
                samples=tuple((float(p[0]), float(p[1])) for p in points),
            )
        return out

    def slis(self, run_id: str) -> list[sqlite3.Row]:
        return list(
            self.db.execute("SELECT * FROM slis WHERE run_id = ? ORDER BY slo, phase", (run_id,))
        )

    # -- writing ---------------------------------------------------------------------------

    def set_name(self, run_id: str, name: str) -> None:
        if self.get(run_id) is None:
            raise BadInput(f"{run_id}: no such run in {self.path} (see `harness history`)")
        with self.transaction() as db:
            db.execute("UPDATE runs SET name = NULL WHERE name = ?", (name,))
            db.execute("UPDATE runs SET name = ? WHERE run_id = ?", (name, run_id))

    def put(
        self,
        run: RunRow,
        phases: Sequence[PhaseWindow],
        slis: Sequence[tuple[str, str, float | None, str | None, float, str, str]],
        series: dict[str, SampleSeries],
    ) -> None:
        """Index one run, replacing what an earlier indexing of it wrote (a name is kept)."""
        old = self.get(run.run_id)
        name = run.name or (old.name if old is not None and old.run_id == run.run_id else None)
        values = {**run.__dict__, "reasons": json.dumps(list(run.reasons)), "name": name}
        with self.transaction() as db:
            db.execute("DELETE FROM samples WHERE run_id = ?", (run.run_id,))
            db.execute("DELETE FROM runs WHERE run_id = ?", (run.run_id,))
            marks = ", ".join(f":{c.strip()}" for c in _RUN_COLUMNS.split(","))
            db.execute(f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES ({marks})", values)
            db.executemany(
                'INSERT OR REPLACE INTO phases (run_id, phase, start, "end") VALUES (?, ?, ?, ?)',
                [(run.run_id, p.phase.value, p.start, p.end) for p in phases],
            )
            db.executemany(
                "INSERT OR REPLACE INTO slis VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(run.run_id, *row) for row in slis],
            )
            for slo, s in series.items():
                db.execute(
                    "INSERT INTO series VALUES (?, ?, ?, ?, ?)",
                    (run.run_id, slo, s.source, s.step, s.window),
                )
                db.executemany(
                    "INSERT OR REPLACE INTO samples VALUES (?, ?, ?, ?, ?)",
                    [
                        (run.run_id, slo, t, _phase_of(phases, t), v)
                        for t, v in s.samples
                        if v == v  # NaN (0/0) is no sample
                    ],
                )


def _phase_of(phases: Sequence[PhaseWindow], t: float) -> str | None:
    for p in phases:
        if p.start < t <= p.end:
            return p.phase.value
    return None


__all__ = ["ENV", "MIGRATIONS", "SCHEMA_VERSION", "RunRow", "RunStore", "default_path"]
