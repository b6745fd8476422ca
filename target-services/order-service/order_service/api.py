"""HTTP API of order-service under /api/v1/orders."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from order_service.recovery import RecoveryConfig
from order_service.store import Order, OrderStore
from order_service.workflow import LineRequest, OrderWorkflow, PlaceOrder

# The payment methods payment-service accepts; checked here too so a typo is a 422 before the
# saga starts instead of a refused charge after stock was reserved.
PaymentMethod = Literal[
    "card", "credit_card", "debit_card", "paypal", "bank_transfer", "wallet", "declined_card"
]
# Ids end up in downstream URL paths: no slashes, dots or other surprises.
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(pattern=ID_PATTERN)
    quantity: int = Field(ge=1, le=1000)


class CreateOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: str = Field(pattern=ID_PATTERN)
    items: list[LineIn] = Field(min_length=1, max_length=50)
    payment_method: PaymentMethod
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")


class LineOut(BaseModel):
    sku: str
    quantity: int
    unit_price: Decimal


class OrderOut(BaseModel):
    id: str
    user_id: str
    status: str
    items: list[LineOut]
    total: Decimal
    currency: str
    payment_method: str
    payment_id: str | None
    reservation: str
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, o: Order) -> OrderOut:
        return cls(
            id=o.id,
            user_id=o.user_id,
            status=o.status.value,
            items=[
                LineOut(sku=x.sku, quantity=x.quantity, unit_price=x.unit_price) for x in o.lines
            ],
            total=o.total,
            currency=o.currency,
            payment_method=o.payment_method,
            payment_id=o.payment_id,
            reservation=o.reservation.value,
            failure_reason=o.failure_reason,
            created_at=o.created_at,
            updated_at=o.updated_at,
        )


class OrderList(BaseModel):
    orders: list[OrderOut]


def build_router(store: OrderStore, workflow: OrderWorkflow) -> APIRouter:
    router = APIRouter(prefix="/api/v1/orders", tags=["orders"])

    @router.post(
        "",
        status_code=201,
        responses={
            402: {"description": "payment declined; the order is failed, stock released"},
            409: {"description": "not enough stock"},
            503: {"description": "a dependency is unreachable or its circuit breaker is open"},
            504: {"description": "a dependency did not answer in time"},
        },
    )
    async def create_order(body: CreateOrder) -> OrderOut:
        request = PlaceOrder(
            user_id=body.user_id,
            lines=[LineRequest(x.sku, x.quantity) for x in body.items],
            payment_method=body.payment_method,
            currency=body.currency,
        )
        return OrderOut.of(await workflow.place(request))

    @router.get("")
    async def list_orders(
        user_id: Annotated[str, Query(min_length=1, max_length=64)],
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> OrderList:
        return OrderList(orders=[OrderOut.of(o) for o in await store.by_user(user_id, limit)])

    @router.get("/{order_id}")
    async def get_order(order_id: str) -> OrderOut:
        return OrderOut.of(await store.get(order_id))

    return router


class PendingOut(BaseModel):
    id: str
    age_s: float


class Books(BaseModel):
    recovery_after_s: float  # pending orders older than this are a saga left half-done
    recovery_interval_s: float
    pending: list[PendingOut]
    live: list[str]  # pending or confirmed: the orders that may hold stock
    failed: list[str]


def build_internal_router(store: OrderStore, recovery: RecoveryConfig) -> APIRouter:
    """Service-to-service routes, outside /api/v1: the gateway routes no path here, so only
    callers inside the cluster (the books probe) reach them."""
    router = APIRouter(prefix="/internal/orders", tags=["internal"])

    @router.get("/books")
    async def books() -> Books:
        """Every order by status, and the recovery bound they are judged by."""
        now = datetime.now(UTC)
        rows = await store.books()
        return Books(
            recovery_after_s=recovery.older_than_s,
            recovery_interval_s=recovery.interval_s,
            pending=[
                PendingOut(id=i, age_s=round((now - created).total_seconds(), 3))
                for i, status, created in rows
                if status == "pending"
            ],
            live=[i for i, status, _ in rows if status in ("pending", "confirmed")],
            failed=[i for i, status, _ in rows if status == "failed"],
        )

    return router
