"""inventory-service: items with stock; availability checks; reservations with idempotency."""

from __future__ import annotations

SERVICE_NAME = "inventory-service"
