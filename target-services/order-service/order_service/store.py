"""Orders in SQL. A row is committed only with a status that tells the truth:

pending    -> written before any stock is reserved or money taken (the saga has started, or
              it stopped with an outcome still to settle: recovery.py finishes it)
confirmed  -> stock reserved and payment succeeded
failed     -> the saga stopped; `failure_reason` says why and `reservation` says whether
              the stock was given back ("released") or could not be ("release_failed")
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from order_service import SERVICE_NAME
from svc_common.db import Database
from svc_common.errors import NotFound
from svc_common.metrics import observe_db

metadata = MetaData()

orders = Table(
    "orders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("items", Text, nullable=False),  # JSON [{"sku", "quantity", "unit_price"}]
    Column("total_cents", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payment_method", String(32), nullable=False),
    Column("payment_id", String(36)),
    Column("reservation", String(16), nullable=False),
    Column("failure_reason", String(500)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_orders_user", "user_id", "created_at"),
)


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    FAILED = "failed"


class ReservationState(StrEnum):
    NONE = "none"
    RESERVED = "reserved"
    RELEASED = "released"
    RELEASE_FAILED = "release_failed"


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price: Decimal


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Order:
    user_id: str
    lines: tuple[OrderLine, ...]
    currency: str
    payment_method: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: OrderStatus = OrderStatus.PENDING
    payment_id: str | None = None
    reservation: ReservationState = ReservationState.NONE
    failure_reason: str | None = None
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)

    @property
    def total(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal("0.00"))

    def failed(self, reason: str, reservation: ReservationState | None = None) -> Order:
        return replace(
            self,
            status=OrderStatus.FAILED,
            failure_reason=reason[:500],
            reservation=reservation or self.reservation,
            updated_at=_now(),
        )


def _encode(lines: tuple[OrderLine, ...]) -> str:
    return json.dumps(
        [{"sku": x.sku, "quantity": x.quantity, "unit_price": str(x.unit_price)} for x in lines]
    )


def _order(row: Any) -> Order:
    def utc(value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    lines = tuple(
        OrderLine(x["sku"], int(x["quantity"]), Decimal(x["unit_price"]))
        for x in json.loads(row.items)
    )
    return Order(
        id=row.id,
        user_id=row.user_id,
        lines=lines,
        currency=row.currency,
        payment_method=row.payment_method,
        status=OrderStatus(row.status),
        payment_id=row.payment_id,
        reservation=ReservationState(row.reservation),
        failure_reason=row.failure_reason,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
    )


class OrderStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(self, order: Order) -> None:
        async with self.db.write() as conn:
            with observe_db(SERVICE_NAME, "insert", "orders"):
                await conn.execute(
                    insert(orders).values(
                        id=order.id,
                        user_id=order.user_id,
                        status=order.status.value,
                        items=_encode(order.lines),
                        total_cents=int(order.total * 100),
                        currency=order.currency,
                        payment_method=order.payment_method,
                        payment_id=order.payment_id,
                        reservation=order.reservation.value,
                        failure_reason=order.failure_reason,
                        created_at=order.created_at,
                        updated_at=order.updated_at,
                    )
                )

    async def save(self, order: Order) -> None:
        """Write the outcome of the saga (status, payment, reservation, reason)."""
        async with self.db.write() as conn:
            with observe_db(SERVICE_NAME, "update", "orders"):
                await conn.execute(
                    update(orders)
                    .where(orders.c.id == order.id)
                    .values(
                        status=order.status.value,
                        payment_id=order.payment_id,
                        reservation=order.reservation.value,
                        failure_reason=order.failure_reason,
                        updated_at=order.updated_at,
                    )
                )

    async def settle(self, order: Order) -> bool:
        """`save`, but only while the row is still pending; False when another writer (the
        saga itself, or a recovery pass in another replica) settled it first."""
        async with self.db.write() as conn:
            with observe_db(SERVICE_NAME, "update", "orders"):
                result = await conn.execute(
                    update(orders)
                    .where(orders.c.id == order.id, orders.c.status == OrderStatus.PENDING.value)
                    .values(
                        status=order.status.value,
                        payment_id=order.payment_id,
                        reservation=order.reservation.value,
                        failure_reason=order.failure_reason,
                        updated_at=order.updated_at,
                    )
                )
        return bool(result.rowcount)

    async def pending(self, created_before: datetime | None = None) -> list[Order]:
        """Pending orders, oldest first (only those created before `created_before`)."""
        query = select(orders).where(orders.c.status == OrderStatus.PENDING.value)
        if created_before is not None:
            query = query.where(orders.c.created_at < created_before)
        async with self.db.read() as conn:
            with observe_db(SERVICE_NAME, "select", "orders"):
                rows = (await conn.execute(query.order_by(orders.c.created_at))).all()
        return [_order(r) for r in rows]

    async def unreleased_failures(self) -> list[Order]:
        """Failed orders whose stock could not be given back (`release_failed`)."""
        query = select(orders).where(
            orders.c.status == OrderStatus.FAILED.value,
            orders.c.reservation == ReservationState.RELEASE_FAILED.value,
        )
        async with self.db.read() as conn:
            with observe_db(SERVICE_NAME, "select", "orders"):
                return [_order(r) for r in (await conn.execute(query)).all()]

    async def books(self) -> list[tuple[str, str, datetime]]:
        """(id, status, created_at) of every order: what the books probe checks."""
        query = select(orders.c.id, orders.c.status, orders.c.created_at)
        async with self.db.read() as conn:
            with observe_db(SERVICE_NAME, "select", "orders"):
                rows = (await conn.execute(query)).all()
        return [
            (str(r.id), str(r.status), r.created_at if r.created_at.tzinfo else
             r.created_at.replace(tzinfo=UTC))
            for r in rows
        ]  # fmt: skip

    async def get(self, order_id: str) -> Order:
        async with self.db.read() as conn:
            with observe_db(SERVICE_NAME, "select", "orders"):
                row = (await conn.execute(select(orders).where(orders.c.id == order_id))).first()
        if row is None:
            raise NotFound(f"order {order_id} not found")
        return _order(row)

    async def by_user(self, user_id: str, limit: int) -> list[Order]:
        query = (
            select(orders)
            .where(orders.c.user_id == user_id)
            .order_by(orders.c.created_at.desc())
            .limit(limit)
        )
        async with self.db.read() as conn:
            with observe_db(SERVICE_NAME, "select", "orders"):
                rows = (await conn.execute(query)).all()
        return [_order(r) for r in rows]
