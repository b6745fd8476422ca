"""Placing an order: a small saga over user-, inventory- and payment-service.

    1. the user exists and is active              (nothing written yet)
    2. the items exist and are in stock; prices   (nothing written yet)
    3. the order row, status "pending"            (committed: the saga has started)
    4. reserve the stock, keyed by the order id   (idempotent on inventory's side)
    5. charge the payment, keyed by the order id  (idempotent on payment's side)
    6. the order row, status "confirmed"

Before step 1, an open circuit breaker on any step refuses the order at once (503).

A failure after step 3 marks the order "failed" with its reason; after step 4 it also releases
the reservation (a timed-out reserve is released too: it may have gone through). A charge whose
answer was lost (timeout, reset, 5xx) may have gone through: the saga voids it at payment-service
(refund, or the key never charges) before it calls the order failed; when payment-service cannot
say, the order stays "pending" with its reason and recovery.py settles it later. Downstream
faults surface as 503 (unreachable or circuit open) or 504 (timeout), never as a hang.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import httpx

from order_service import SERVICE_NAME
from order_service.compensation import never_sent, release, void_payment
from order_service.store import Order, OrderLine, OrderStatus, OrderStore, ReservationState
from svc_common.client import ServiceClient
from svc_common.errors import (
    Conflict,
    DownstreamError,
    InvalidRequest,
    PaymentDeclined,
    ServiceError,
)
from svc_common.metrics import business_event


@dataclass(frozen=True)
class LineRequest:
    sku: str
    quantity: int


@dataclass(frozen=True)
class PlaceOrder:
    user_id: str
    lines: Sequence[LineRequest]
    payment_method: str
    currency: str = "EUR"


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])[:300]
    return str(body)[:200]


class OrderWorkflow:
    def __init__(
        self,
        store: OrderStore,
        *,
        users: ServiceClient,
        inventory: ServiceClient,
        payments: ServiceClient,
    ) -> None:
        self.store = store
        self.users = users
        self.inventory = inventory
        self.payments = payments

    async def place(self, request: PlaceOrder) -> Order:
        # An open breaker on any step refuses the order before anything is written or reserved:
        # during an outage, callers get a 503 in microseconds and no churn of failed orders.
        self.users.ensure_available("get_user")
        self.inventory.ensure_available("check_stock")
        self.inventory.ensure_available("reserve")
        self.payments.ensure_available("charge")
        await self._check_user(request.user_id)
        lines = await self._price(request.lines)
        order = Order(
            user_id=request.user_id,
            lines=lines,
            currency=request.currency,
            payment_method=request.payment_method,
        )
        await self.store.insert(order)
        # From the moment we ask for stock, a failure must give it back: a reserve whose answer
        # was lost (timeout) may still have gone through. Releasing what was never reserved is a
        # harmless 404.
        order = replace(order, reservation=ReservationState.RESERVED)
        charging = False
        try:
            await self._reserve(order)
            charging = True
            payment_id = await self._charge(order)
        except ServiceError as exc:
            unsettled = (
                charging
                and isinstance(exc, DownstreamError)
                and exc.reason in ("timeout", "server_error", "unreachable")
                and not never_sent(exc)
            )
            ended = await self._fail(order, exc.detail, exc.extra.get("payment_id"), unsettled)
            exc.extra.update(order_id=ended.id, order_status=ended.status.value)
            business_event(SERVICE_NAME, "order_failed")
            raise
        except BaseException:
            # A bug or a cancellation mid-saga: free the stock; a charge may be in flight, so
            # the order stays pending for recovery to settle.
            await self._fail(order, "internal error while placing the order", None, charging)
            raise
        order = replace(order, status=OrderStatus.CONFIRMED, payment_id=payment_id)
        await self.store.save(order)
        business_event(SERVICE_NAME, "order_confirmed")
        return order

    async def _check_user(self, user_id: str) -> None:
        resp = await self.users.request("get_user", "GET", f"/api/v1/users/{user_id}")
        if resp.status_code == 404:
            raise InvalidRequest(f"user {user_id} does not exist", field="user_id")
        if resp.status_code != 200:
            raise DownstreamError(
                "user-service",
                f"user-service answered HTTP {resp.status_code}: {_detail(resp)}",
                reason="unexpected_status",
            )
        status = resp.json().get("status")
        if status != "active":
            raise InvalidRequest(f"user {user_id} is not active (status {status})", field="user_id")

    async def _price(self, wanted: Sequence[LineRequest]) -> tuple[OrderLine, ...]:
        payload = {"items": [{"sku": x.sku, "quantity": x.quantity} for x in wanted]}
        resp = await self.inventory.request(
            "check_stock", "POST", "/api/v1/inventory/check", json=payload
        )
        if resp.status_code != 200:
            raise DownstreamError(
                "inventory-service",
                f"inventory-service refused the stock check: {_detail(resp)}",
                reason="unexpected_status",
            )
        result: list[dict[str, Any]] = resp.json()["items"]
        unknown = [x["sku"] for x in result if x["unit_price"] is None]
        if unknown:
            raise InvalidRequest(f"unknown items: {', '.join(unknown)}", field="items")
        short = [x["sku"] for x in result if not x["available"]]
        if short:
            raise Conflict(f"not enough stock for: {', '.join(short)}", skus=short)
        return tuple(OrderLine(x["sku"], x["requested"], Decimal(x["unit_price"])) for x in result)

    async def _reserve(self, order: Order) -> None:
        payload = {"items": [{"sku": x.sku, "quantity": x.quantity} for x in order.lines]}
        resp = await self.inventory.request(
            "reserve",
            "POST",
            "/api/v1/inventory/reservations",
            json=payload,
            headers={"Idempotency-Key": order.id},
        )
        if resp.status_code == 409:
            raise Conflict(f"stock ran out: {_detail(resp)}")
        if resp.status_code not in (200, 201):
            raise DownstreamError(
                "inventory-service",
                f"inventory-service refused the reservation: {_detail(resp)}",
                reason="unexpected_status",
            )

    async def _charge(self, order: Order) -> str:
        """Charge the order's total; returns the payment id."""
        payload = {
            "user_id": order.user_id,
            "amount": f"{order.total:.2f}",
            "currency": order.currency,
            "method": order.payment_method,
            "order_id": order.id,
        }
        resp = await self.payments.request(
            "charge",
            "POST",
            "/api/v1/payments",
            json=payload,
            headers={"Idempotency-Key": order.id},
        )
        if resp.status_code == 402:
            payment = resp.json().get("payment") or {}
            raise PaymentDeclined(_detail(resp), payment_id=payment.get("id"))
        if resp.status_code not in (200, 201):
            raise DownstreamError(
                "payment-service",
                f"payment-service refused the charge: {_detail(resp)}",
                reason="unexpected_status",
            )
        return str(resp.json()["id"])

    async def _fail(
        self, order: Order, reason: str, payment_id: str | None, unsettled: bool
    ) -> Order:
        """Release the stock; with `unsettled` (the charge may have gone through) void it too.
        The order is failed once both are done, else it stays pending for recovery."""
        reservation = await release(self.inventory, order.id)
        failed = replace(order.failed(reason, reservation), payment_id=payment_id)
        if unsettled:
            try:
                voided = await void_payment(self.payments, order.id)
            except DownstreamError:
                failed = replace(failed, status=OrderStatus.PENDING)  # recovery settles it
            else:
                if voided.status == "refunded":
                    failed = replace(failed, payment_id=voided.id)
        await self.store.save(failed)
        return failed
