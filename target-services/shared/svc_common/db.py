"""One async SQL layer for SQLite (aiosqlite) and PostgreSQL (asyncpg), same code path.

Several replicas of a service share one database. For SQLite that means several processes on
one file, so: WAL journal (readers never block the writer), a busy timeout (a writer waits
instead of failing), and write transactions opened with BEGIN IMMEDIATE, which takes the write
lock up front. A deferred transaction that reads and then writes can fail at once with
SQLITE_BUSY when another process committed in between; taking the lock first avoids that.

The SQLite file holds emails and password hashes: it is created 0600 in a 0700 folder, like a
mounted Secret, whatever the umask (SQLite gives its -wal and -shm files the database's mode).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

_SQLITE_BUSY_TIMEOUT_MS = 10_000
_WRITE = "svc_write"


class Database:
    """An engine plus the two kinds of transaction the services use: `read()` and `write()`."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                private_sqlite_file(Path(parsed.database))
            kwargs["connect_args"] = {"timeout": _SQLITE_BUSY_TIMEOUT_MS / 1000}
        else:
            kwargs["pool_size"] = pool_size
            kwargs["pool_pre_ping"] = True
        self.sqlite_path = parsed.database if self.is_sqlite else None
        self._write_lock = asyncio.Lock()
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A transaction for reads (deferred on SQLite: takes no write lock)."""
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that writes; committed on success, rolled back on any exception."""
        if not self.is_sqlite:
            async with self.engine.connect() as conn, conn.begin():
                yield conn
            return
        # One writer at a time per process, queued fairly here. Without this, writers of the
        # same process compete through SQLite's busy handler, which sleeps in growing steps
        # and turns a burst of writes into a long latency tail.
        async with self._write_lock, self.engine.connect() as conn:
            await conn.execution_options(**{_WRITE: True})
            async with conn.begin():
                yield conn

    async def create_schema(self, metadata: MetaData) -> None:
        """Create missing tables; safe when several replicas start at once."""
        if self.sqlite_path and self.sqlite_path != ":memory:":
            await _enable_wal(self.sqlite_path)
        for attempt in range(5):
            try:
                async with self.write() as conn:
                    await conn.run_sync(metadata.create_all)
                return
            except (OperationalError, ProgrammingError, IntegrityError):
                # PostgreSQL: two replicas raced on CREATE TABLE (a duplicate in pg_type shows
                # up as an IntegrityError); the next pass sees the table and skips it.
                if self.is_sqlite or attempt == 4:
                    raise
                await asyncio.sleep(0.1 * (attempt + 1))

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()


FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_sqlite_file(path: Path) -> None:
    """Create the database file 0600 (and its folder 0700) before SQLite opens it.

    SQLite would create it with the process umask (usually 0644: readable by every local user).
    Files and folders that exist already are tightened when this process owns them.
    """
    folder = path.parent
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    _tighten(folder, FOLDER_MODE)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    os.close(fd)
    for file in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        _tighten(file, FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid == os.getuid() and info.st_mode & 0o777 != mode:
        os.chmod(path, mode)


async def _enable_wal(path: str) -> None:
    """Switch the file to WAL once (the mode is stored in the file). The switch needs a moment
    alone with the file and SQLite reports "locked" at once rather than waiting, so when
    replicas start together we retry for a while."""
    import aiosqlite

    for _ in range(200):
        try:
            async with aiosqlite.connect(path, timeout=_SQLITE_BUSY_TIMEOUT_MS / 1000) as conn:
                async with conn.execute("PRAGMA journal_mode = WAL") as cursor:
                    row = await cursor.fetchone()
                if row is not None and str(row[0]).lower() == "wal":
                    return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
        await asyncio.sleep(0.05)
    raise RuntimeError(f"could not switch {path} to WAL mode: the file stayed locked")


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below); the driver's implicit transactions would defeat it.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT_MS}")
        # NORMAL is durable across process crashes in WAL mode (only power loss can drop the
        # last commits), which is the failure the harness injects.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")
