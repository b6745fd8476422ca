"""What every sample service needs: settings, database, observability, health, resilience.

Kept small and import-light on purpose: a service process must start in well under a second,
so modules that only order-service needs (the HTTP client, the breaker) are imported by it alone.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "1.0.0"
