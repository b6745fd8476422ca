"""Composition root of order-service: the store, three resilient clients, the saga and its
recovery (a background task: one pass at start-up, then one every ORDER_RECOVERY_INTERVAL_S)."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
from fastapi import FastAPI

from order_service import SERVICE_NAME
from order_service.api import build_internal_router, build_router
from order_service.recovery import RecoveryConfig, SagaRecovery
from order_service.store import OrderStore, metadata
from order_service.workflow import OrderWorkflow
from svc_common.app import create_service_app
from svc_common.client import ClientConfig, ServiceClient
from svc_common.db import Database
from svc_common.health import HealthCheck
from svc_common.settings import Settings

# Each dependency and the operations order-service calls on it (one breaker per operation).
OPERATIONS = {
    "user-service": ("get_user",),
    "inventory-service": ("check_stock", "reserve", "release", "get_reservation"),
    "payment-service": ("charge", "lookup", "void"),
}


def create_app(
    settings: Settings, transports: dict[str, httpx.AsyncBaseTransport] | None = None
) -> FastAPI:
    """`transports` lets a test put an in-process app behind a client (name -> transport)."""
    db = Database(settings.database_url)
    store = OrderStore(db)
    config = ClientConfig.from_env(settings.env)
    clients = {
        name: ServiceClient(
            service=SERVICE_NAME,
            target=name,
            base_url=settings.service_url(name),
            config=config,
            transport=(transports or {}).get(name),
        )
        for name in OPERATIONS
    }
    for name, operations in OPERATIONS.items():
        for operation in operations:
            clients[name].breaker(operation)  # export the gauge (0) before the first call
    workflow = OrderWorkflow(
        store,
        users=clients["user-service"],
        inventory=clients["inventory-service"],
        payments=clients["payment-service"],
    )
    # Dependencies are probed and reported, but by default do not make order-service unready:
    # taking it out of rotation when payment-service is down would hide the breaker's clear 503
    # behind a gateway "no upstream" and cascade one failure into all of them.
    gate = settings.env.get("READY_REQUIRES_DEPENDENCIES", "").lower() in ("1", "true", "yes")
    readiness = [
        HealthCheck(name, client.probe, timeout_s=1.0, required=gate)
        for name, client in clients.items()
    ]

    recovery = SagaRecovery(
        store,
        inventory=clients["inventory-service"],
        payments=clients["payment-service"],
        config=RecoveryConfig.from_env(dict(settings.env)),
    )
    tasks: list[asyncio.Task[None]] = []

    async def start_recovery() -> None:
        tasks.append(asyncio.create_task(recovery.run_forever(), name="saga-recovery"))

    async def stop() -> None:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for client in clients.values():
            await client.close()

    return create_service_app(
        settings,
        db=db,
        metadata=metadata,
        routers=[build_router(store, workflow), build_internal_router(store, recovery.config)],
        readiness=readiness,
        on_startup=start_recovery,
        on_shutdown=stop,
    )
