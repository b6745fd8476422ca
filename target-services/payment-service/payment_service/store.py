"""Payments in SQL. The client's Idempotency-Key is unique: one key, one payment, whatever
how many times (or how concurrently) the request is repeated."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, insert, select
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
    method: Method
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
        method=Method(row.method),
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
