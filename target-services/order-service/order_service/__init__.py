"""order-service: places orders by calling user, inventory and payment services."""

from __future__ import annotations

SERVICE_NAME = "order-service"
