"""Composition root of payment-service."""

from __future__ import annotations

from fastapi import FastAPI

from payment_service.api import build_internal_router, build_router
from payment_service.store import PaymentStore, metadata
from svc_common.app import create_service_app
from svc_common.db import Database
from svc_common.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    db = Database(settings.database_url)
    store = PaymentStore(db)
    routers = [build_router(store), build_internal_router(store)]
    return create_service_app(settings, db=db, metadata=metadata, routers=routers)
