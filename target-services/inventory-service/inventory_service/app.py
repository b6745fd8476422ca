"""Composition root of inventory-service."""

from __future__ import annotations

from fastapi import FastAPI

from inventory_service.api import build_internal_router, build_router
from inventory_service.store import InventoryStore, metadata
from svc_common.app import create_service_app
from svc_common.db import Database
from svc_common.settings import Settings, env_int


def create_app(settings: Settings) -> FastAPI:
    db = Database(settings.database_url)
    store = InventoryStore(db)
    seed_stock = env_int(settings.env, "INVENTORY_SEED_STOCK", 1_000_000, low=0, high=2**31 - 1)

    async def seed() -> None:
        await store.seed(seed_stock)

    return create_service_app(
        settings,
        db=db,
        metadata=metadata,
        routers=[build_router(store), build_internal_router(store)],
        on_startup=seed,
    )
