"""Stock and reservations in SQL. Every change of stock happens in one write transaction.

A reservation is keyed by the caller's idempotency key: repeating a reserve or a release with
the same key changes nothing and returns the same answer, so callers may retry safely.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from inventory_service import SERVICE_NAME
from svc_common.db import Database
from svc_common.errors import Conflict, NotFound
from svc_common.metrics import business_event, observe_db

metadata = MetaData()

items = Table(
    "items",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("price_cents", BigInteger, nullable=False),
    Column("stock", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", String(128), primary_key=True),  # the idempotency key
    Column("status", String(16), nullable=False),
    Column("lines", Text, nullable=False),  # JSON [[sku, quantity], ...], sorted
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


class ReservationStatus(StrEnum):
    RESERVED = "reserved"
    RELEASED = "released"


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    price: Decimal
    stock: int


@dataclass(frozen=True)
class Availability:
    sku: str
    requested: int
    in_stock: int
    unit_price: Decimal | None

    @property
    def available(self) -> bool:
        return self.unit_price is not None and self.in_stock >= self.requested


@dataclass(frozen=True)
class Reservation:
    id: str
    status: ReservationStatus
    lines: tuple[Line, ...]
    created: bool = False  # True only on the call that made it


def merge(lines: Sequence[Line]) -> tuple[Line, ...]:
    """One line per SKU, sorted: the canonical form stored and compared for idempotency."""
    total: dict[str, int] = {}
    for line in lines:
        total[line.sku] = total.get(line.sku, 0) + line.quantity
    return tuple(Line(sku, q) for sku, q in sorted(total.items()))


def _now() -> datetime:
    return datetime.now(UTC)


def _cents(value: Decimal) -> int:
    return int(value * 100)


def _price(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _encode(lines: tuple[Line, ...]) -> str:
    return json.dumps([[line.sku, line.quantity] for line in lines])


def _decode(raw: str) -> tuple[Line, ...]:
    return tuple(Line(sku, int(q)) for sku, q in json.loads(raw))


def _reservation(row: Any, created: bool = False) -> Reservation:
    return Reservation(row.id, ReservationStatus(row.status), _decode(row.lines), created)


# Enough stock that a long load run never sells out; prices are exact decimals.
SEED_ITEMS: tuple[tuple[str, str, Decimal], ...] = (
    ("SKU-0001", "Espresso beans 1 kg", Decimal("24.90")),
    ("SKU-0002", "Ceramic mug", Decimal("9.50")),
    ("SKU-0003", "Milk frother", Decimal("39.00")),
    ("SKU-0004", "Paper filters x100", Decimal("3.20")),
    ("SKU-0005", "Burr grinder", Decimal("129.99")),
    ("SKU-0006", "Travel tumbler", Decimal("18.75")),
    ("SKU-0007", "Kettle", Decimal("54.00")),
    ("SKU-0008", "Tea sampler", Decimal("15.40")),
)


class InventoryStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def seed(self, stock: int) -> None:
        """Add the seed items that are missing; never touches stock of existing ones, so
        restarting a replica (or starting three at once) keeps what was sold."""
        async with self.db.write() as conn:
            existing = set((await conn.execute(select(items.c.sku))).scalars())
            missing = [
                {
                    "sku": s,
                    "name": n,
                    "price_cents": _cents(p),
                    "stock": stock,
                    "updated_at": _now(),
                }
                for s, n, p in SEED_ITEMS
                if s not in existing
            ]
            if missing:
                await conn.execute(insert(items), missing)

    async def list_items(self) -> list[Item]:
        async with self.db.read() as conn:
            with observe_db(SERVICE_NAME, "select", "items"):
                rows = (await conn.execute(select(items).order_by(items.c.sku))).all()
        return [Item(r.sku, r.name, _price(r.price_cents), r.stock) for r in rows]

    async def get_item(self, sku: str) -> Item:
        async with self.db.read() as conn:
            with observe_db(SERVICE_NAME, "select", "items"):
                row = (await conn.execute(select(items).where(items.c.sku == sku))).first()
        if row is None:
            raise NotFound(f"item {sku} not found")
        return Item(row.sku, row.name, _price(row.price_cents), row.stock)

    async def check(self, lines: Sequence[Line]) -> list[Availability]:
        wanted = merge(lines)
        skus = [line.sku for line in wanted]
        async with self.db.read() as conn:
            with observe_db(SERVICE_NAME, "select", "items"):
                rows = (await conn.execute(select(items).where(items.c.sku.in_(skus)))).all()
        found = {r.sku: r for r in rows}
        out = []
        for line in wanted:
            row = found.get(line.sku)
            price = _price(row.price_cents) if row is not None else None
            out.append(Availability(line.sku, line.quantity, row.stock if row else 0, price))
        return out

    async def _find(self, conn: AsyncConnection, key: str) -> Any:
        with observe_db(SERVICE_NAME, "select", "reservations"):
            return (
                await conn.execute(select(reservations).where(reservations.c.id == key))
            ).first()

    async def reserve(self, key: str, lines: Sequence[Line]) -> Reservation:
        """Take stock for every line or for none; a repeat with the same key is a no-op."""
        wanted = merge(lines)
        try:
            async with self.db.write() as conn:
                row = await self._find(conn, key)
                if row is not None:
                    return self._replay(row, wanted)
                for line in wanted:
                    # The WHERE makes the check and the decrement one atomic statement.
                    with observe_db(SERVICE_NAME, "update", "items"):
                        result = await conn.execute(
                            update(items)
                            .where(items.c.sku == line.sku, items.c.stock >= line.quantity)
                            .values(stock=items.c.stock - line.quantity, updated_at=_now())
                        )
                    if result.rowcount != 1:
                        # Raising rolls back the lines already taken.
                        raise Conflict(
                            f"not enough stock for {line.sku} (wanted {line.quantity})",
                            sku=line.sku,
                        )
                now = _now()
                with observe_db(SERVICE_NAME, "insert", "reservations"):
                    await conn.execute(
                        insert(reservations).values(
                            id=key,
                            status=ReservationStatus.RESERVED.value,
                            lines=_encode(wanted),
                            created_at=now,
                            updated_at=now,
                        )
                    )
        except IntegrityError:
            # A concurrent request with the same key won (PostgreSQL; SQLite serialises writers).
            async with self.db.read() as conn:
                return self._replay(await self._find(conn, key), wanted)
        business_event(SERVICE_NAME, "stock_reserved")
        return Reservation(key, ReservationStatus.RESERVED, wanted, created=True)

    @staticmethod
    def _replay(row: Any, wanted: tuple[Line, ...]) -> Reservation:
        found = _reservation(row)
        if found.lines != wanted:
            raise Conflict(f"reservation key {found.id} was already used for different items")
        return found

    async def release(self, key: str) -> Reservation:
        """Give the stock back; releasing twice gives it back once."""
        async with self.db.write() as conn:
            row = await self._find(conn, key)
            if row is None:
                raise NotFound(f"reservation {key} not found")
            found = _reservation(row)
            if found.status is ReservationStatus.RELEASED:
                return found
            for line in found.lines:
                with observe_db(SERVICE_NAME, "update", "items"):
                    await conn.execute(
                        update(items)
                        .where(items.c.sku == line.sku)
                        .values(stock=items.c.stock + line.quantity, updated_at=_now())
                    )
            with observe_db(SERVICE_NAME, "update", "reservations"):
                await conn.execute(
                    update(reservations)
                    .where(reservations.c.id == key)
                    .values(status=ReservationStatus.RELEASED.value, updated_at=_now())
                )
        business_event(SERVICE_NAME, "stock_released")
        return Reservation(key, ReservationStatus.RELEASED, found.lines)

    async def held_keys(self) -> list[str]:
        """The keys of every reservation still holding stock (the books)."""
        query = select(reservations.c.id).where(
            reservations.c.status == ReservationStatus.RESERVED.value
        )
        async with self.db.read() as conn:
            with observe_db(SERVICE_NAME, "select", "reservations"):
                return [str(r.id) for r in (await conn.execute(query)).all()]

    async def get_reservation(self, key: str) -> Reservation:
        async with self.db.read() as conn:
            row = await self._find(conn, key)
        if row is None:
            raise NotFound(f"reservation {key} not found")
        return _reservation(row)
