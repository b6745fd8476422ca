"""Envoy outlier detection and connection-pool limits as pure state machines
(docs/parity.md, "Istio (mesh)": outlier detection, connection pool).

`OutlierDetector` is one Envoy cluster's view of its hosts: consecutive 5xx / gateway-error
counters checked inline, ejection bounded by `max_ejection_percent` ((ejected + 1) / hosts),
ejection time `base * times ejected in a row` capped at max(300 s, base), hosts returning on the
`interval` sweep, and the multiplier decaying once per interval while healthy. Time is passed
in, so tests drive it without clocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.mesh import istio_model as im

MAX_EJECTION_TIME_S = 300.0
UNLIMITED = 2**32 - 1


@dataclass(frozen=True)
class OutlierSettings:
    consecutive_5xx: int = 5  # 0 = off
    consecutive_gateway: int = 0  # 0 = off (Envoy's enforcing default is 0)
    interval_s: float = 10.0
    base_ejection_s: float = 30.0
    max_ejection_percent: int = 10
    min_health_percent: int = 0

    @classmethod
    def from_istio(cls, od: im.OutlierDetection) -> OutlierSettings:
        # `consecutiveErrors` is deliberately ignored, as Istio has done since 1.7.
        return cls(
            consecutive_5xx=5 if od.consecutive_5xx_errors is None else od.consecutive_5xx_errors,
            consecutive_gateway=od.consecutive_gateway_errors or 0,
            interval_s=im.parse_duration(od.interval) if od.interval else 10.0,
            base_ejection_s=(
                im.parse_duration(od.base_ejection_time) if od.base_ejection_time else 30.0
            ),
            max_ejection_percent=(
                od.max_ejection_percent
                if od.max_ejection_percent and od.max_ejection_percent > 0
                else 10
            ),
            min_health_percent=od.min_health_percent or 0,
        )


class _Host:
    __slots__ = ("consecutive_5xx", "consecutive_gw", "ejected_at", "ejections", "last_decay")

    def __init__(self) -> None:
        self.consecutive_5xx = 0
        self.consecutive_gw = 0
        self.ejected_at: float | None = None
        self.ejections = 0
        self.last_decay = 0.0


class OutlierDetector:
    """Ejection state for the hosts of one cluster (a service, or one subset of it)."""

    def __init__(self, settings: OutlierSettings) -> None:
        self.settings = settings
        self._hosts: dict[str, _Host] = {}
        self._last_sweep: float | None = None
        self.ejected_count = 0

    def _host(self, key: str) -> _Host:
        h = self._hosts.get(key)
        if h is None:
            h = self._hosts[key] = _Host()
        return h

    def set_hosts(self, keys: Sequence[str]) -> None:
        """Track exactly these hosts (endpoints come and go)."""
        for k in keys:
            self._host(k)
        for k in [k for k in self._hosts if k not in keys]:
            del self._hosts[k]
        self.ejected_count = sum(1 for h in self._hosts.values() if h.ejected_at is not None)

    def ejection_time(self, ejections: int) -> float:
        cap = max(MAX_EJECTION_TIME_S, self.settings.base_ejection_s)
        return min(self.settings.base_ejection_s * ejections, cap)

    def ejected(self, key: str) -> bool:
        h = self._hosts.get(key)
        return h is not None and h.ejected_at is not None

    def record(self, key: str, status: int | None, now: float) -> bool:
        """One response (None = local-origin failure, counted as 503); True if it ejected."""
        s = self.settings
        h = self._host(key)
        code = 503 if status is None else status
        if code >= 500:
            h.consecutive_5xx += 1
        else:
            h.consecutive_5xx = 0
        if code in (502, 503, 504):
            h.consecutive_gw += 1
        else:
            h.consecutive_gw = 0
        trip = (s.consecutive_5xx > 0 and h.consecutive_5xx >= s.consecutive_5xx) or (
            s.consecutive_gateway > 0 and h.consecutive_gw >= s.consecutive_gateway
        )
        if not trip or h.ejected_at is not None:
            return False
        h.consecutive_5xx = h.consecutive_gw = 0
        # Envoy `ejectHost`: eject only while (ejected + 1) / hosts stays within the maximum.
        # The "at least one host" rule is `always_eject_one_host`, off by default and not set
        # by Istio, so with the default 10 % a small cluster never ejects anything.
        if 100.0 * (self.ejected_count + 1) / len(self._hosts) > s.max_ejection_percent:
            return False
        h.ejections += 1
        h.ejected_at = now
        self.ejected_count += 1
        h.last_decay = now
        return True

    def sweep(self, now: float) -> None:
        """The `interval` timer: return hosts whose ejection ran out; decay healthy multipliers."""
        if self._last_sweep is not None and now - self._last_sweep < self.settings.interval_s:
            return
        self._last_sweep = now
        for h in self._hosts.values():
            if h.ejected_at is not None:
                if now - h.ejected_at >= self.ejection_time(h.ejections):
                    h.ejected_at = None
                    self.ejected_count -= 1
                    h.last_decay = now
            elif h.ejections > 0 and now - h.last_decay >= self.settings.interval_s:
                h.ejections -= 1
                h.last_decay = now

    def available(self, keys: Sequence[str]) -> list[str]:
        """Hosts to balance over; below `minHealthPercent` healthy, Envoy panics and uses all."""
        healthy = [k for k in keys if not self.ejected(k)]
        if (
            keys
            and self.settings.min_health_percent > 0
            and (100.0 * len(healthy) / len(keys) < self.settings.min_health_percent)
        ):
            return list(keys)
        return healthy


@dataclass(frozen=True)
class PoolLimits:
    max_connections: int = UNLIMITED
    max_pending: int = UNLIMITED
    max_requests: int = UNLIMITED
    max_requests_per_connection: int = 0
    max_retries: int = UNLIMITED
    connect_timeout_s: float = 10.0

    @classmethod
    def from_istio(cls, cp: im.ConnectionPool | None) -> PoolLimits:
        if cp is None:
            return cls()
        tcp, http = cp.tcp, cp.http
        return cls(
            max_connections=(tcp.max_connections if tcp and tcp.max_connections else UNLIMITED),
            max_pending=(
                http.http1_max_pending_requests
                if http and http.http1_max_pending_requests
                else UNLIMITED
            ),
            max_requests=(
                http.http2_max_requests if http and http.http2_max_requests else UNLIMITED
            ),
            max_requests_per_connection=(http.max_requests_per_connection or 0) if http else 0,
            max_retries=(http.max_retries if http and http.max_retries is not None else UNLIMITED),
            connect_timeout_s=(
                im.parse_duration(tcp.connect_timeout) if tcp and tcp.connect_timeout else 10.0
            ),
        )
