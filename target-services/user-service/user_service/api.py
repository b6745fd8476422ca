"""HTTP API of user-service under /api/v1/users."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from user_service.domain import DomainEvent, User, UserStatus
from user_service.service import UserService

# Deliberately simple: one "@", a dot in the domain, no spaces. Full RFC 5322 parsing would
# need the email-validator package for little gain here.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class CreateUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=320)
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(default="", max_length=100)
    password: str = Field(min_length=8, max_length=1024)

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        value = value.strip()
        if not _EMAIL.match(value):
            raise ValueError("not a valid email address")
        return value


class Suspend(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class UserOut(BaseModel):
    id: str
    email: str
    first_name: str
    last_name: str
    full_name: str
    status: UserStatus
    suspension_reason: str | None
    created_at: datetime
    updated_at: datetime
    last_login: datetime | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            full_name=user.full_name,
            status=user.status,
            suspension_reason=user.suspension_reason,
            created_at=user.created_at,
            updated_at=user.updated_at,
            last_login=user.last_login,
        )


class UserList(BaseModel):
    users: list[UserOut]
    count: int


class EventOut(BaseModel):
    id: int
    type: str
    user_id: str
    email: str
    occurred_at: datetime


class EventList(BaseModel):
    events: list[EventOut]
    next_after: int


def build_router(service: UserService) -> APIRouter:
    router = APIRouter(prefix="/api/v1/users", tags=["users"])

    @router.post("", status_code=201)
    async def create_user(body: CreateUser) -> UserOut:
        user = await service.create(body.email, body.first_name, body.last_name, body.password)
        return UserOut.of(user)

    @router.get("")
    async def list_active_users(
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> UserList:
        found = await service.list_active(limit)
        return UserList(users=[UserOut.of(u) for u in found], count=len(found))

    # Declared before /{user_id} so "events" is not taken for an id.
    @router.get("/events")
    async def list_events(
        after: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> EventList:
        events: list[DomainEvent] = await service.events(after, limit)
        out = [
            EventOut(
                id=e.id or 0,
                type=e.type.value,
                user_id=e.user_id,
                email=e.email,
                occurred_at=e.occurred_at,
            )
            for e in events
        ]
        return EventList(events=out, next_after=out[-1].id if out else after)

    @router.post("/login")
    async def login(body: Login) -> UserOut:
        return UserOut.of(await service.login(body.email, body.password))

    @router.get("/{user_id}")
    async def get_user(user_id: str) -> UserOut:
        return UserOut.of(await service.get(user_id))

    @router.post("/{user_id}/activate")
    async def activate_user(user_id: str) -> UserOut:
        return UserOut.of(await service.activate(user_id))

    @router.post("/{user_id}/suspend")
    async def suspend_user(user_id: str, body: Suspend) -> UserOut:
        return UserOut.of(await service.suspend(user_id, body.reason))

    return router
