"""payment-service: payments with exact decimal amounts, idempotent on the client's key."""

from __future__ import annotations

SERVICE_NAME = "payment-service"
