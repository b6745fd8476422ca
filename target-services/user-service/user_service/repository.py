"""Where users live: the repository interface and its SQL implementation (SQLite or Postgres).

A change to a user and the domain event it causes are written in one transaction (the outbox
pattern): a reader of the outbox never sees an event for a change that was rolled back, and no
committed change lacks its event.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from svc_common.db import Database
from svc_common.errors import Conflict, NotFound
from svc_common.metrics import observe_db
from user_service import SERVICE_NAME
from user_service.domain import DomainEvent, EventType, User, UserStatus

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    Column("suspension_reason", String(500)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("last_login", DateTime(timezone=True)),
    Index("ix_users_status", "status"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_type", String(32), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("email", String(320), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
)

Change = Callable[[User], tuple[User, DomainEvent | None]]


class UserRepository(ABC):
    @abstractmethod
    async def add(self, user: User, event: DomainEvent) -> User:
        """Store a new user; Conflict when the email is taken."""

    @abstractmethod
    async def get(self, user_id: str) -> User | None: ...

    @abstractmethod
    async def find_by_email(self, email: str) -> User | None: ...

    @abstractmethod
    async def list_active(self, limit: int) -> list[User]: ...

    @abstractmethod
    async def update(self, user_id: str, change: Change) -> User:
        """Read, change and write one user atomically; NotFound when missing."""

    @abstractmethod
    async def events(self, after_id: int, limit: int) -> list[DomainEvent]: ...


def _as_utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything we store is UTC.
    if value is None or value.tzinfo is not None:
        return value
    from datetime import UTC

    return value.replace(tzinfo=UTC)


def _to_user(row: Any) -> User:
    created, updated = _as_utc(row.created_at), _as_utc(row.updated_at)
    assert created is not None and updated is not None
    return User(
        id=row.id,
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        password_hash=row.password_hash,
        status=UserStatus(row.status),
        suspension_reason=row.suspension_reason,
        created_at=created,
        updated_at=updated,
        last_login=_as_utc(row.last_login),
    )


def _user_values(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "password_hash": user.password_hash,
        "status": user.status.value,
        "suspension_reason": user.suspension_reason,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "last_login": user.last_login,
    }


class SqlUserRepository(UserRepository):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def _append(self, conn: AsyncConnection, event: DomainEvent) -> None:
        with observe_db(SERVICE_NAME, "insert", "outbox"):
            await conn.execute(
                insert(outbox).values(
                    event_type=event.type.value,
                    user_id=event.user_id,
                    email=event.email,
                    occurred_at=event.occurred_at,
                )
            )

    async def add(self, user: User, event: DomainEvent) -> User:
        try:
            async with self.db.write() as conn:
                with observe_db(SERVICE_NAME, "insert", "users"):
                    await conn.execute(insert(users).values(**_user_values(user)))
                await self._append(conn, event)
        except IntegrityError as exc:
            # The unique index decides, so two concurrent creates cannot both win.
            raise Conflict(f"a user with email {user.email} already exists") from exc
        return user

    async def get(self, user_id: str) -> User | None:
        async with self.db.read() as conn:
            with observe_db(SERVICE_NAME, "select", "users"):
                row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
        return None if row is None else _to_user(row)

    async def find_by_email(self, email: str) -> User | None:
        async with self.db.read() as conn:
            with observe_db(SERVICE_NAME, "select", "users"):
                row = (await conn.execute(select(users).where(users.c.email == email))).first()
        return None if row is None else _to_user(row)

    async def list_active(self, limit: int) -> list[User]:
        query = (
            select(users)
            .where(users.c.status == UserStatus.ACTIVE.value)
            .order_by(users.c.created_at, users.c.id)
            .limit(limit)
        )
        async with self.db.read() as conn:
            with observe_db(SERVICE_NAME, "select", "users"):
                rows = (await conn.execute(query)).all()
        return [_to_user(r) for r in rows]

    async def update(self, user_id: str, change: Change) -> User:
        async with self.db.write() as conn:
            with observe_db(SERVICE_NAME, "select", "users"):
                row = (
                    await conn.execute(select(users).where(users.c.id == user_id).with_for_update())
                ).first()
            if row is None:
                raise NotFound(f"user {user_id} not found")
            changed, event = change(_to_user(row))
            values = _user_values(changed)
            del values["id"], values["created_at"]
            with observe_db(SERVICE_NAME, "update", "users"):
                await conn.execute(update(users).where(users.c.id == user_id).values(**values))
            if event is not None:
                await self._append(conn, event)
        return changed

    async def events(self, after_id: int, limit: int) -> list[DomainEvent]:
        query = select(outbox).where(outbox.c.id > after_id).order_by(outbox.c.id).limit(limit)
        async with self.db.read() as conn:
            with observe_db(SERVICE_NAME, "select", "outbox"):
                rows = (await conn.execute(query)).all()
        out = []
        for r in rows:
            occurred = _as_utc(r.occurred_at)
            assert occurred is not None
            out.append(DomainEvent(EventType(r.event_type), r.user_id, r.email, occurred, r.id))
        return out
