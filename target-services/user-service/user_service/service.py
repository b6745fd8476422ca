"""The user service layer: the use cases, with validation and events (no HTTP, no SQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from svc_common.errors import Forbidden, InvalidRequest, NotFound, Unauthorized
from svc_common.metrics import business_event
from user_service import SERVICE_NAME
from user_service.domain import (
    DomainEvent,
    EventType,
    User,
    UserStatus,
    normalise_email,
    utcnow,
)
from user_service.passwords import Passwords
from user_service.repository import UserRepository

MIN_PASSWORD = 8


class UserService:
    def __init__(
        self,
        repository: UserRepository,
        passwords: Passwords,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.repo = repository
        self.passwords = passwords
        self.clock = clock

    async def create(self, email: str, first_name: str, last_name: str, password: str) -> User:
        email = normalise_email(email)
        if len(password) < MIN_PASSWORD:
            raise InvalidRequest(f"password must be at least {MIN_PASSWORD} characters")
        now = self.clock()
        user = User(
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            password_hash=await self.passwords.hash(password),
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(user, DomainEvent(EventType.CREATED, user.id, user.email, now))
        business_event(SERVICE_NAME, "user_created")
        return user

    async def get(self, user_id: str) -> User:
        user = await self.repo.get(user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        return user

    async def list_active(self, limit: int) -> list[User]:
        return await self.repo.list_active(limit)

    async def activate(self, user_id: str) -> User:
        now = self.clock()

        def change(user: User) -> tuple[User, DomainEvent | None]:
            if user.status is UserStatus.ACTIVE:
                return user, None  # idempotent: no second event
            done = user.activated(now)
            return done, DomainEvent(EventType.ACTIVATED, done.id, done.email, now)

        user = await self.repo.update(user_id, change)
        business_event(SERVICE_NAME, "user_activated")
        return user

    async def suspend(self, user_id: str, reason: str) -> User:
        now = self.clock()

        def change(user: User) -> tuple[User, DomainEvent | None]:
            done = user.suspended(reason.strip(), now)
            return done, DomainEvent(EventType.SUSPENDED, done.id, done.email, now)

        user = await self.repo.update(user_id, change)
        business_event(SERVICE_NAME, "user_suspended")
        return user

    async def login(self, email: str, password: str) -> User:
        """Verify the password (outside any transaction: the hash is slow), then record it."""
        user = await self.repo.find_by_email(normalise_email(email))
        if not await self.passwords.verify(user.password_hash if user else None, password):
            business_event(SERVICE_NAME, "login_failed")
            raise Unauthorized("invalid email or password")
        assert user is not None
        if user.status is not UserStatus.ACTIVE:
            business_event(SERVICE_NAME, "login_refused")
            raise Forbidden(f"account is {user.status.value}; only active users can log in")
        now = self.clock()

        def change(current: User) -> tuple[User, DomainEvent | None]:
            done = current.logged_in(now)
            return done, DomainEvent(EventType.LOGIN, done.id, done.email, now)

        user = await self.repo.update(user.id, change)
        business_event(SERVICE_NAME, "user_login")
        return user

    async def events(self, after_id: int, limit: int) -> list[DomainEvent]:
        return await self.repo.events(after_id, limit)
