"""HTTP client for calling other services: httpx with per-operation circuit breakers.

Each operation (e.g. "charge", "reserve") has its own breaker, so one broken endpoint does not
shut off the healthy ones. Only faults of the dependency count against a breaker: refused or
reset connections, timeouts and 5xx answers. A 4xx is the caller's problem (a declined payment,
a missing user) and is returned as a response. Failures surface as the `DownstreamError`
family, which the app maps to 502/503/504 with a JSON body naming the target.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from svc_common.breaker import (
    BreakerConfig,
    BreakerState,
    CallTimeoutError,
    CircuitBreaker,
    CircuitOpenError,
)
from svc_common.errors import DownstreamError, DownstreamTimeout, DownstreamUnavailable
from svc_common.metrics import BREAKER_STATE, BREAKER_TRANSITIONS
from svc_common.settings import env_float, env_int


@dataclass(frozen=True)
class ClientConfig:
    """Timeouts, pool limits and breaker settings (env names in each service's README)."""

    breaker: BreakerConfig = field(default_factory=BreakerConfig)
    connect_timeout_s: float = 0.5
    max_connections: int = 100
    max_keepalive: int = 20

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ClientConfig:
        call_timeout = env_float(env, "CLIENT_TIMEOUT_S", 2.0, low=0.01, high=300)
        return cls(
            breaker=BreakerConfig(
                failure_threshold=env_int(env, "BREAKER_FAILURE_THRESHOLD", 5, low=1, high=10_000),
                success_threshold=env_int(env, "BREAKER_SUCCESS_THRESHOLD", 2, low=1, high=10_000),
                call_timeout_s=call_timeout,
                recovery_timeout_s=env_float(
                    env, "BREAKER_RECOVERY_TIMEOUT_S", 10.0, low=0.0, high=3600
                ),
                half_open_max_calls=env_int(
                    env, "BREAKER_HALF_OPEN_MAX_CALLS", 1, low=1, high=1000
                ),
            ),
            connect_timeout_s=min(
                call_timeout, env_float(env, "CLIENT_CONNECT_TIMEOUT_S", 0.5, low=0.01, high=60)
            ),
            max_connections=env_int(env, "CLIENT_MAX_CONNECTIONS", 100, low=1, high=10_000),
            max_keepalive=env_int(env, "CLIENT_MAX_KEEPALIVE", 20, low=0, high=10_000),
        )


class _ServerError(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


class ServiceClient:
    """Calls one target service; `request` goes through the breaker for its operation."""

    def __init__(
        self,
        *,
        service: str,
        target: str,
        base_url: str,
        config: ClientConfig | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.target = target
        self.base_url = base_url
        self.config = config or ClientConfig()
        self._clock = clock
        timeout = self.config.breaker.call_timeout_s
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=self.config.connect_timeout_s),
            limits=httpx.Limits(
                max_connections=self.config.max_connections,
                max_keepalive_connections=self.config.max_keepalive,
            ),
            transport=transport,
            follow_redirects=False,
            trust_env=False,  # never route service-to-service calls through a proxy
        )
        self.breakers: dict[str, CircuitBreaker] = {}

    def breaker(self, operation: str) -> CircuitBreaker:
        found = self.breakers.get(operation)
        if found is None:
            labels = (self.service, self.target, operation)
            gauge = BREAKER_STATE.labels(*labels)
            gauge.set(0)

            def exported(before: BreakerState, after: BreakerState) -> None:
                gauge.set(after.gauge)
                BREAKER_TRANSITIONS.labels(*labels, before.value, after.value).inc()

            found = CircuitBreaker(
                f"{self.target}/{operation}",
                self.config.breaker,
                clock=self._clock,
                listener=exported,
            )
            self.breakers[operation] = found
        return found

    def ensure_available(self, operation: str) -> None:
        """DownstreamUnavailable now if `operation`'s breaker is open (no call is made)."""
        try:
            self.breaker(operation).check()
        except CircuitOpenError as exc:
            raise self._open(operation, exc) from exc

    def _open(self, operation: str, exc: CircuitOpenError) -> DownstreamUnavailable:
        return DownstreamUnavailable(
            self.target,
            f"{self.target} is unavailable: circuit breaker for '{operation}' is open",
            reason="circuit_open",
            retry_after_s=exc.retry_after_s,
        )

    async def request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request; 2xx-4xx come back as responses, faults raise DownstreamError."""

        async def attempt() -> httpx.Response:
            response = await self._http.request(method, path, json=json, headers=headers)
            if response.status_code >= 500:
                raise _ServerError(response)
            return response

        target = self.target
        try:
            return await self.breaker(operation).call(attempt)
        except CircuitOpenError as exc:
            raise self._open(operation, exc) from exc
        except (CallTimeoutError, httpx.TimeoutException) as exc:
            raise DownstreamTimeout(
                target,
                f"{target} did not answer '{operation}' within "
                f"{self.config.breaker.call_timeout_s:g}s",
                reason="timeout",
            ) from exc
        except _ServerError as exc:
            raise DownstreamError(
                target,
                f"{target} failed '{operation}' with HTTP {exc.response.status_code}",
                reason="server_error",
                upstream_status=exc.response.status_code,
            ) from exc
        except httpx.TransportError as exc:
            raise DownstreamUnavailable(
                target,
                f"{target} is unreachable for '{operation}': {type(exc).__name__}",
                reason="unreachable",
            ) from exc

    async def probe(self, path: str = "/health/live", timeout_s: float = 1.0) -> None:
        """A readiness probe of the target, outside the breakers (probes must not trip them)."""
        response = await self._http.get(path, timeout=timeout_s)
        if response.status_code >= 400:
            raise RuntimeError(f"{self.target} answered HTTP {response.status_code}")

    async def close(self) -> None:
        await self._http.aclose()
