"""HTTP API of payment-service under /api/v1/payments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Header, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from payment_service.store import Method, Payment, PaymentRequest, PaymentStore
from svc_common.errors import PaymentDeclined

KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"


class CreatePayment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: str = Field(min_length=1, max_length=64)
    amount: Decimal = Field(gt=0, le=Decimal("1000000"), max_digits=12, decimal_places=2)
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    method: Method
    order_id: str | None = Field(default=None, max_length=64)


class PaymentOut(BaseModel):
    id: str
    user_id: str
    order_id: str | None
    amount: Decimal
    currency: str
    method: Method | None
    status: str
    decline_reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, p: Payment) -> PaymentOut:
        return cls(
            id=p.id,
            user_id=p.user_id,
            order_id=p.order_id,
            amount=p.amount,
            currency=p.currency,
            method=p.method,
            status=p.status.value,
            decline_reason=p.decline_reason,
            created_at=p.created_at,
        )


def build_router(store: PaymentStore) -> APIRouter:
    router = APIRouter(prefix="/api/v1/payments", tags=["payments"])

    @router.post(
        "",
        status_code=201,
        responses={402: {"description": "declined; the body holds the payment record"}},
    )
    async def create_payment(
        body: CreatePayment,
        response: Response,
        idempotency_key: Annotated[str, Header(pattern=KEY_PATTERN)],
    ) -> PaymentOut:
        request = PaymentRequest(
            user_id=body.user_id,
            amount=body.amount,
            currency=body.currency,
            method=body.method,
            order_id=body.order_id,
        )
        payment = await store.create(idempotency_key, request)
        out = PaymentOut.of(payment)
        if payment.decline_reason is not None:
            raise PaymentDeclined(
                f"payment declined: {payment.decline_reason}", payment=out.model_dump(mode="json")
            )
        if not payment.created:
            response.status_code = 200  # a replay of an earlier success
        return out

    @router.get("/by-key/{key}")
    async def get_payment_by_key(key: Annotated[str, Path(pattern=KEY_PATTERN)]) -> PaymentOut:
        """The payment made with this Idempotency-Key (404: none), e.g. to learn whether a
        charge whose answer was lost went through."""
        return PaymentOut.of(await store.by_key(key))

    @router.get("/{payment_id}")
    async def get_payment(payment_id: str) -> PaymentOut:
        return PaymentOut.of(await store.get(payment_id))

    return router


class VoidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: str | None = Field(default=None, max_length=64)


class OrderCharge(BaseModel):
    id: str
    order_id: str


class Books(BaseModel):
    charges: list[OrderCharge]


def build_internal_router(store: PaymentStore) -> APIRouter:
    """Service-to-service routes, outside /api/v1: the gateway routes no path here, so only
    callers inside the mesh (order-service's saga, the books probe) reach them."""
    router = APIRouter(prefix="/internal/payments", tags=["internal"])

    @router.post("/by-key/{key}/void")
    async def void_payment(
        key: Annotated[str, Path(pattern=KEY_PATTERN)], body: VoidIn | None = None
    ) -> PaymentOut:
        """Settle the key for good: refund its charge, or make sure it never charges."""
        return PaymentOut.of(await store.void(key, body.order_id if body else None))

    @router.get("/books")
    async def books() -> Books:
        """Every succeeded charge made for an order: the probe checks none is on a failed one."""
        charges = await store.order_charges()
        return Books(charges=[OrderCharge(id=i, order_id=o) for i, o in charges])

    return router
