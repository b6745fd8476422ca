"""HTTP API of inventory-service under /api/v1/inventory."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, ConfigDict, Field

from inventory_service.store import InventoryStore, Line, Reservation

KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10_000)


class LinesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[LineIn] = Field(min_length=1, max_length=100)

    def lines(self) -> list[Line]:
        return [Line(i.sku, i.quantity) for i in self.items]


class ItemOut(BaseModel):
    sku: str
    name: str
    price: Decimal
    stock: int


class ItemList(BaseModel):
    items: list[ItemOut]


class AvailabilityOut(BaseModel):
    sku: str
    requested: int
    in_stock: int
    unit_price: Decimal | None
    available: bool


class CheckOut(BaseModel):
    available: bool
    items: list[AvailabilityOut]


class ReservationOut(BaseModel):
    id: str
    status: str
    items: list[LineIn]

    @classmethod
    def of(cls, r: Reservation) -> ReservationOut:
        lines = [LineIn(sku=line.sku, quantity=line.quantity) for line in r.lines]
        return cls(id=r.id, status=r.status.value, items=lines)


def build_router(store: InventoryStore) -> APIRouter:
    router = APIRouter(prefix="/api/v1/inventory", tags=["inventory"])

    @router.get("")
    @router.get("/items")
    async def list_items() -> ItemList:
        found = await store.list_items()
        return ItemList(items=[ItemOut(**vars(i)) for i in found])

    @router.get("/items/{sku}")
    async def get_item(sku: str) -> ItemOut:
        return ItemOut(**vars(await store.get_item(sku)))

    @router.post("/check")
    async def check(body: LinesIn) -> CheckOut:
        result = await store.check(body.lines())
        out = [
            AvailabilityOut(
                sku=a.sku,
                requested=a.requested,
                in_stock=a.in_stock,
                unit_price=a.unit_price,
                available=a.available,
            )
            for a in result
        ]
        return CheckOut(available=all(a.available for a in out), items=out)

    @router.post("/reservations", status_code=201)
    async def reserve(
        body: LinesIn,
        response: Response,
        idempotency_key: Annotated[str, Header(pattern=KEY_PATTERN)],
    ) -> ReservationOut:
        reservation = await store.reserve(idempotency_key, body.lines())
        if not reservation.created:
            response.status_code = 200  # a replay: nothing new was created
        return ReservationOut.of(reservation)

    @router.get("/reservations/{reservation_id}")
    async def get_reservation(reservation_id: str) -> ReservationOut:
        return ReservationOut.of(await store.get_reservation(reservation_id))

    @router.post("/reservations/{reservation_id}/release")
    async def release(reservation_id: str) -> ReservationOut:
        return ReservationOut.of(await store.release(reservation_id))

    return router


class Books(BaseModel):
    held: list[str]  # reservation keys (order ids) still holding stock


def build_internal_router(store: InventoryStore) -> APIRouter:
    """Service-to-service routes, outside /api/v1: the gateway routes no path here."""
    router = APIRouter(prefix="/internal/inventory", tags=["internal"])

    @router.get("/books")
    async def books() -> Books:
        """Every reservation still holding stock: the probe checks each has a live order."""
        return Books(held=await store.held_keys())

    return router
