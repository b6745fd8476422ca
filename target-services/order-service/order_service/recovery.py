"""Saga recovery: every order left pending longer than a bound is finished, on start and then
periodically, so a process killed mid-saga never leaves stock held or money taken for nothing.

For each pending order created more than `ORDER_RECOVERY_AFTER_S` ago:

    payment-service has a succeeded charge under the order's key, and inventory still holds its
    reservation                                   -> confirmed (the saga had done its work)
    anything else (no charge, declined, refunded; or the stock is no longer held)
                                                  -> compensated: void at payment-service (a
                                                     charge is refunded, a missing one can never
                                                     happen), release the stock, then failed

A step whose answer does not come leaves the order pending for the next pass. Failed orders
whose release failed are released again. The bound must exceed the longest a live saga can take
(its calls are bounded by CLIENT_TIMEOUT_S), so recovery never races a saga still running; the
conditional update (`OrderStore.settle`) and the idempotent calls keep replicas that recover at
once, or a saga that outlives the bound after all, from contradicting each other.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from prometheus_client import Counter, Gauge

from order_service import SERVICE_NAME
from order_service.compensation import (
    lookup_payment,
    release,
    reservation_held,
    void_payment,
)
from order_service.store import Order, OrderStatus, OrderStore, ReservationState
from svc_common.client import ServiceClient
from svc_common.errors import DownstreamError
from svc_common.settings import env_float

log = logging.getLogger(__name__)

PENDING = Gauge(
    "orders_pending",
    "Orders in status pending: all of them, and those older than the recovery bound",
    ["service_name", "age"],
)
RECOVERED = Counter(
    "orders_recovered_total",
    "Pending orders finished by recovery (outcome confirmed or compensated), and failed "
    "orders whose stock recovery released (outcome released)",
    ["service_name", "outcome"],
)
RECOVERY_PASSES = Counter(
    "order_recovery_passes_total",
    "Recovery passes over the pending orders, by result (ok, or incomplete: a step failed)",
    ["service_name", "result"],
)

COMPENSATED_REASON = "interrupted mid-saga; compensated by recovery"


@dataclass(frozen=True)
class RecoveryConfig:
    older_than_s: float = 30.0
    interval_s: float = 10.0

    @classmethod
    def from_env(cls, env: dict[str, str]) -> RecoveryConfig:
        return cls(
            older_than_s=env_float(env, "ORDER_RECOVERY_AFTER_S", 30.0, low=0.0, high=86_400),
            interval_s=env_float(env, "ORDER_RECOVERY_INTERVAL_S", 10.0, low=0.05, high=3_600),
        )


@dataclass
class PassResult:
    confirmed: int = 0
    compensated: int = 0
    released: int = 0
    left: int = 0  # still pending after the pass (a step failed; the next pass tries again)


class SagaRecovery:
    def __init__(
        self,
        store: OrderStore,
        *,
        inventory: ServiceClient,
        payments: ServiceClient,
        config: RecoveryConfig,
    ) -> None:
        self.store = store
        self.inventory = inventory
        self.payments = payments
        self.config = config
        for age in ("all", "over_bound"):
            PENDING.labels(SERVICE_NAME, age).set(0)
        for outcome in ("confirmed", "compensated", "released"):
            RECOVERED.labels(SERVICE_NAME, outcome)

    async def run_once(self, now: datetime | None = None) -> PassResult:
        """One pass over the pending orders older than the bound and the unreleased failures."""
        now = now or datetime.now(UTC)
        cutoff = now - timedelta(seconds=self.config.older_than_s)
        result = PassResult()
        for order in await self.store.pending(created_before=cutoff):
            try:
                outcome = await self._settle(order)
            except DownstreamError as exc:
                log.warning("recovery of order %s waits for the next pass: %s", order.id, exc)
                outcome = None
            if outcome is None:
                result.left += 1
                continue
            RECOVERED.labels(SERVICE_NAME, outcome).inc()
            setattr(result, outcome, getattr(result, outcome) + 1)
        for order in await self.store.unreleased_failures():
            state = await release(self.inventory, order.id)
            if state is not ReservationState.RELEASE_FAILED:
                await self.store.save(replace(order, reservation=state, updated_at=now))
                RECOVERED.labels(SERVICE_NAME, "released").inc()
                result.released += 1
        await self._export(cutoff)
        RECOVERY_PASSES.labels(SERVICE_NAME, "incomplete" if result.left else "ok").inc()
        return result

    async def _settle(self, order: Order) -> str | None:
        """'confirmed' or 'compensated' when this pass settled the order, None otherwise."""
        payment = await lookup_payment(self.payments, order.id)
        charged = payment is not None and payment.status == "succeeded"
        if payment is not None and charged and await reservation_held(self.inventory, order.id):
            confirmed = replace(
                order,
                status=OrderStatus.CONFIRMED,
                payment_id=payment.id,
                reservation=ReservationState.RESERVED,
                failure_reason=None,
                updated_at=datetime.now(UTC),
            )
            return "confirmed" if await self.store.settle(confirmed) else None
        voided = await void_payment(self.payments, order.id)
        reservation = await release(self.inventory, order.id)
        if reservation is ReservationState.RELEASE_FAILED:
            return None
        failed = order.failed(order.failure_reason or COMPENSATED_REASON, reservation)
        if voided.status == "refunded":
            failed = replace(failed, payment_id=voided.id)
        return "compensated" if await self.store.settle(failed) else None

    async def _export(self, cutoff: datetime) -> None:
        pending = await self.store.pending()
        PENDING.labels(SERVICE_NAME, "all").set(len(pending))
        PENDING.labels(SERVICE_NAME, "over_bound").set(
            sum(1 for o in pending if o.created_at < cutoff)
        )

    async def run_forever(self) -> None:
        """A pass at once (orders a killed predecessor left), then one every interval."""
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # a pass that broke (database busy, a bug) must not end recovery
                log.exception("saga recovery pass failed; retrying in %ss", self.config.interval_s)
                RECOVERY_PASSES.labels(SERVICE_NAME, "error").inc()
            await asyncio.sleep(self.config.interval_s)
