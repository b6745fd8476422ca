"""Health checks: named async checks run concurrently, each bounded by a timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Check = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class CheckResult:
    name: str
    healthy: bool
    required: bool
    latency_ms: float
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "status": "healthy" if self.healthy else "unhealthy",
            "required": self.required,
            "latency_ms": round(self.latency_ms, 2),
        }
        if self.error:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class HealthCheck:
    name: str
    check: Check
    timeout_s: float = 1.0
    # A failing optional check is reported but does not make the service unready.
    required: bool = True


async def _run_one(hc: HealthCheck) -> CheckResult:
    start = time.perf_counter()
    try:
        async with asyncio.timeout(hc.timeout_s):
            await hc.check()
    except TimeoutError:
        error: str | None = f"timed out after {hc.timeout_s:g}s"
    except Exception as exc:  # a check reports any failure; it never raises
        error = f"{type(exc).__name__}: {exc}"[:200]
    else:
        error = None
    elapsed = (time.perf_counter() - start) * 1000
    return CheckResult(hc.name, error is None, hc.required, elapsed, error)


async def run_checks(checks: list[HealthCheck]) -> tuple[bool, dict[str, object]]:
    """Run every check at once; ready when all required checks pass."""
    results = await asyncio.gather(*(_run_one(hc) for hc in checks))
    ready = all(r.healthy for r in results if r.required)
    return ready, {r.name: r.as_json() for r in results}
