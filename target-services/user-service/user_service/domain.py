"""The user domain model: statuses and the rules for changing them (from the seed)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

from svc_common.errors import Conflict


class UserStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    SUSPENDED = "suspended"


class EventType(StrEnum):
    CREATED = "user.created"
    ACTIVATED = "user.activated"
    SUSPENDED = "user.suspended"
    LOGIN = "user.login"


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class User:
    email: str
    first_name: str
    last_name: str
    password_hash: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: UserStatus = UserStatus.INACTIVE
    suspension_reason: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    last_login: datetime | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def activated(self, now: datetime) -> User:
        """Active again; refused for a suspended user (suspension is lifted elsewhere)."""
        if self.status is UserStatus.SUSPENDED:
            raise Conflict(f"user {self.id} is suspended and cannot be activated")
        return replace(self, status=UserStatus.ACTIVE, updated_at=now)

    def suspended(self, reason: str, now: datetime) -> User:
        return replace(self, status=UserStatus.SUSPENDED, suspension_reason=reason, updated_at=now)

    def logged_in(self, now: datetime) -> User:
        return replace(self, last_login=now, updated_at=now)


@dataclass(frozen=True)
class DomainEvent:
    type: EventType
    user_id: str
    email: str
    occurred_at: datetime
    id: int | None = None  # assigned by the outbox
