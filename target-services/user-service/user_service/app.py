"""Composition root of user-service."""

from __future__ import annotations

from fastapi import FastAPI

from svc_common.app import create_service_app
from svc_common.db import Database
from svc_common.settings import Settings
from user_service.api import build_router
from user_service.passwords import Passwords
from user_service.repository import SqlUserRepository, metadata
from user_service.service import UserService


def create_app(settings: Settings) -> FastAPI:
    db = Database(settings.database_url)
    service = UserService(SqlUserRepository(db), Passwords.from_env(settings.env))
    return create_service_app(settings, db=db, metadata=metadata, routers=[build_router(service)])
