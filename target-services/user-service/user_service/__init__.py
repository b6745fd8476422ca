"""user-service: users, their status, logins, and an outbox of domain events."""

from __future__ import annotations

SERVICE_NAME = "user-service"
