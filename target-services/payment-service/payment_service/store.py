"""Payments in SQL. The client's Idempotency-Key is unique: one key, one payment, whatever
how many times (or how concurrently) the request is repeated.

`void(key)` settles a key for good, for a saga that gives up (order-service's recovery): a
succeeded charge is refunded, and a key that was never charged gets a "voided" row, so a charge
still in flight with that key is refused (409) instead of taking money for a cancelled order.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from payment_service import SERVICE_NAME
from svc_common.db import Database
from svc_common.errors import Conflict, NotFound
from svc_common.metrics import business_event, observe_db

metadata = MetaData()

payments = Table(
    "payments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column("fingerprint", String(64), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("order_id", String(64)),
    Column("amount_cents", BigInteger, nullable=False),  # exact: integer minor units
    Column("currency", String(3), nullable=False),
    Column("method", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("decline_reason", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class Method(StrEnum):
    CARD = "card"
    CREDIT_CARD = "credit_card"
    DEBIT_CARD = "debit_card"
    PAYPAL = "paypal"
    BANK_TRANSFER = "bank_transfer"
    WALLET = "wallet"
    # A test method that is always declined, so tests and scenarios can take the failure path.
    DECLINED_CARD = "declined_card"


class PaymentStatus(StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    REFUNDED = "refunded"  # a succeeded charge given back by void()
    VOIDED = "voided"  # the key was settled before any charge: it never charges


VOID_FINGERPRINT = "void"  # no request hashes to this, so a charge replayed on it conflicts


@dataclass(frozen=True)
class PaymentRequest:
    user_id: str
    amount: Decimal
    currency: str
    method: Method
    order_id: str | None

    def fingerprint(self) -> str:
        canon = "|".join(
            [self.user_id, f"{self.amount:.2f}", self.currency, self.method, self.order_id or ""]
        )
        return hashlib.sha256(canon.encode()).hexdigest()


@dataclass(frozen=True)
class Payment:
    id: str
    user_id: str
    order_id: str | None
    amount: Decimal
    currency: str
    method: Method | None  # None only for a voided key
    status: PaymentStatus
    decline_reason: str | None
    created_at: datetime
    created: bool = False  # True only on the call that made it


def decide(request: PaymentRequest) -> tuple[PaymentStatus, str | None]:
    """The (fake) processor's answer; deterministic so tests can rely on it."""
    if request.method is Method.DECLINED_CARD:
        return PaymentStatus.DECLINED, "card declined by issuer (test method declined_card)"
    return PaymentStatus.SUCCEEDED, None


def _payment(row: Any, created: bool = False) -> Payment:
    created_at = row.created_at
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    return Payment(
        id=row.id,
        user_id=row.user_id,
        order_id=row.order_id,
        amount=(Decimal(row.amount_cents) / 100).quantize(Decimal("0.01")),
        currency=row.currency,
        method=Method(row.method) if row.method else None,
        status=PaymentStatus(row.status),
        decline_reason=row.decline_reason,
        created_at=created_at,
        created=created,
    )


class PaymentStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def _by_key(self, key: str) -> Any:
        async with self.db.read() as conn:
            with observe_db(SERVICE_NAME, "select", "payments"):
                query = select(payments).where(payments.c.idempotency_key == key)
                return (await conn.execute(query)).first()

    def _replay(self, row: Any, request: PaymentRequest) -> Payment:
        if row.status in (PaymentStatus.VOIDED.value, PaymentStatus.REFUNDED.value):
            raise Conflict(
                f"the payment for this Idempotency-Key was {row.status} (its order was "
                "cancelled); use a new key for a new payment",
                status=row.status,
            )
        if row.fingerprint != request.fingerprint():
            raise Conflict(
                "Idempotency-Key was already used for a different payment request; "
                "use a new key for a new payment"
            )
        return _payment(row)

    async def create(self, key: str, request: PaymentRequest) -> Payment:
        existing = await self._by_key(key)
        if existing is not None:
            return self._replay(existing, request)
        status, reason = decide(request)
        values = {
            "id": str(uuid.uuid4()),
            "idempotency_key": key,
            "fingerprint": request.fingerprint(),
            "user_id": request.user_id,
            "order_id": request.order_id,
            "amount_cents": int(request.amount * 100),
            "currency": request.currency,
            "method": request.method.value,
            "status": status.value,
            "decline_reason": reason,
            "created_at": datetime.now(UTC),
        }
        try:
            async with self.db.write() as conn:
                with observe_db(SERVICE_NAME, "insert", "payments"):
                    await conn.execute(insert(payments).values(**values))
        except IntegrityError:
            # The same key arrived concurrently and the other request committed first.
            return self._replay(await self._by_key(key), request)
        business_event(SERVICE_NAME, f"payment_{status.value}")
        return _payment(_Row(values), created=True)

    async def by_key(self, key: str) -> Payment:
        row = await self._by_key(key)
        if row is None:
            raise NotFound(f"no payment for Idempotency-Key {key}")
        return _payment(row)

    async def void(self, key: str, order_id: str | None = None) -> Payment:
        """Refund the charge made with `key`, or make sure the key never charges; idempotent."""
        for _ in range(3):
            try:
                return await self._void_once(key, order_id)
            except IntegrityError:
                continue  # a charge with this key committed meanwhile: settle that one
        raise Conflict(f"Idempotency-Key {key} kept changing while it was voided; retry")

    async def _void_once(self, key: str, order_id: str | None) -> Payment:
        async with self.db.write() as conn:
            query = select(payments).where(payments.c.idempotency_key == key)
            row = (await conn.execute(query)).first()
            if row is None:
                values = {
                    "id": str(uuid.uuid4()),
                    "idempotency_key": key,
                    "fingerprint": VOID_FINGERPRINT,
                    "user_id": "",
                    "order_id": order_id,
                    "amount_cents": 0,
                    "currency": "EUR",
                    "method": "",
                    "status": PaymentStatus.VOIDED.value,
                    "decline_reason": None,
                    "created_at": datetime.now(UTC),
                }
                with observe_db(SERVICE_NAME, "insert", "payments"):
                    await conn.execute(insert(payments).values(**values))
                business_event(SERVICE_NAME, "payment_voided")
                return _payment(_Row(values), created=True)
            if row.status != PaymentStatus.SUCCEEDED.value:
                return _payment(row)  # declined, refunded or voided: nothing is held
            with observe_db(SERVICE_NAME, "update", "payments"):
                await conn.execute(
                    update(payments)
                    .where(payments.c.id == row.id)
                    .values(status=PaymentStatus.REFUNDED.value)
                )
            business_event(SERVICE_NAME, "payment_refunded")
            return replace(_payment(row), status=PaymentStatus.REFUNDED)

    async def order_charges(self) -> list[tuple[str, str]]:
        """(payment id, order id) of every succeeded charge made for an order (the books)."""
        query = select(payments.c.id, payments.c.order_id).where(
            payments.c.status == PaymentStatus.SUCCEEDED.value, payments.c.order_id.is_not(None)
        )
        async with self.db.read() as conn:
            with observe_db(SERVICE_NAME, "select", "payments"):
                rows = (await conn.execute(query)).all()
        return [(str(r.id), str(r.order_id)) for r in rows]

    async def get(self, payment_id: str) -> Payment:
        async with self.db.read() as conn:
            with observe_db(SERVICE_NAME, "select", "payments"):
                query = select(payments).where(payments.c.id == payment_id)
                row = (await conn.execute(query)).first()
        if row is None:
            raise NotFound(f"payment {payment_id} not found")
        return _payment(row)


class _Row:
    """Attribute access over the values just inserted (same shape as a result row)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
