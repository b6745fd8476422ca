"""The SQLite file holds emails and password hashes: owner-only, like a mounted Secret."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert

from svc_common.db import Database


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask (0022) would create 0644 files readable by every local user."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


async def _use(db: Database, path: Path) -> dict[str, int]:
    """Write a row; the modes of every file SQLite keeps while a connection is open."""
    metadata = MetaData()
    things = Table("things", metadata, Column("id", String, primary_key=True))
    await db.create_schema(metadata)
    async with db.write() as conn:
        await conn.execute(insert(things).values(id="a"))
        found = {p.name: mode(p) for p in path.parent.iterdir()}
    await db.close()
    return found


@pytest.mark.usefixtures("loose_umask")
def test_database_file_and_folder_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "user-service" / "user-service.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    while_open = asyncio.run(_use(db, path))
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600
    # WAL mode: SQLite gives its -wal and -shm files the database's own mode
    assert while_open == {f"{path.name}{s}": 0o600 for s in ("", "-wal", "-shm")}


@pytest.mark.usefixtures("loose_umask")
def test_files_left_loose_by_an_older_version_are_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    path = folder / "order-service.db"
    path.touch(mode=0o644)
    Database(f"sqlite+aiosqlite:///{path}")
    assert mode(folder) == 0o700
    assert mode(path) == 0o600
