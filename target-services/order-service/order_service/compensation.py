"""The calls that settle a saga's side effects, shared by the saga itself and its recovery.

Every call is idempotent on the other side (inventory keys reservations by the order id,
payment-service keys charges by it), so the saga, a recovery pass and another replica's recovery
pass may all make them for one order, in any order, and agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from order_service.store import ReservationState
from svc_common.client import ServiceClient
from svc_common.errors import DownstreamError


@dataclass(frozen=True)
class PaymentState:
    """What payment-service holds for an order's key: `succeeded`, `declined`, `refunded` or
    `voided` (None: no payment was ever made with the key)."""

    id: str
    status: str


def never_sent(exc: DownstreamError) -> bool:
    """True when the request certainly did not reach the other side: the breaker refused it, or
    the TCP connection was never made. Any other failure (timeout, reset, 5xx) may have run."""
    if exc.reason == "circuit_open":
        return True
    return isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout)


async def release(inventory: ServiceClient, order_id: str) -> ReservationState:
    """Give the order's stock back; releasing what was never reserved is a harmless 404."""
    try:
        resp = await inventory.request(
            "release", "POST", f"/api/v1/inventory/reservations/{order_id}/release"
        )
    except DownstreamError:
        return ReservationState.RELEASE_FAILED
    if resp.status_code == 200:
        return ReservationState.RELEASED
    if resp.status_code == 404:  # nothing was reserved
        return ReservationState.NONE
    return ReservationState.RELEASE_FAILED


async def reservation_held(inventory: ServiceClient, order_id: str) -> bool:
    """Whether the order's reservation still holds stock; DownstreamError when unknown."""
    resp = await inventory.request(
        "get_reservation", "GET", f"/api/v1/inventory/reservations/{order_id}"
    )
    if resp.status_code == 404:
        return False
    if resp.status_code != 200:
        raise DownstreamError(
            "inventory-service",
            f"inventory-service answered HTTP {resp.status_code} for reservation {order_id}",
            reason="unexpected_status",
        )
    return bool(resp.json().get("status") == "reserved")


def _payment(resp: httpx.Response, what: str) -> PaymentState:
    if resp.status_code not in (200, 201):
        raise DownstreamError(
            "payment-service",
            f"payment-service answered HTTP {resp.status_code} to {what}",
            reason="unexpected_status",
        )
    body = resp.json()
    return PaymentState(id=str(body["id"]), status=str(body["status"]))


async def lookup_payment(payments: ServiceClient, order_id: str) -> PaymentState | None:
    """The payment made with the order's key, None when none was; DownstreamError when unknown."""
    resp = await payments.request("lookup", "GET", f"/api/v1/payments/by-key/{order_id}")
    if resp.status_code == 404:
        return None
    return _payment(resp, f"the lookup of {order_id}")


async def void_payment(payments: ServiceClient, order_id: str) -> PaymentState:
    """Refund the order's charge, or make sure its key never charges; DownstreamError when
    payment-service could not say it did."""
    resp = await payments.request(
        "void",
        "POST",
        f"/internal/payments/by-key/{order_id}/void",
        json={"order_id": order_id},
    )
    return _payment(resp, f"the void of {order_id}")
