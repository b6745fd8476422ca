"""One Envoy cluster of the local mesh: a service (or one subset of it) and its endpoints.

Holds what Envoy keeps per cluster: the hosts selected by labels, circuit-breaker counters
(connection pool limits), the outlier detector, and least-request load balancing.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from dataclasses import dataclass, field

from harness.contracts.cluster import Endpoint
from harness.mesh import istio_model as im
from harness.mesh.outlier import OutlierDetector, OutlierSettings, PoolLimits


def merge_policy(
    top: im.TrafficPolicy | None, sub: im.TrafficPolicy | None
) -> im.TrafficPolicy | None:
    """A subset's traffic policy replaces the top-level one field by field (Istio merge)."""
    if sub is None:
        return top
    if top is None:
        return sub
    upd = {
        k: getattr(sub, k)
        for k in ("load_balancer", "connection_pool", "outlier_detection", "tls")
        if getattr(sub, k) is not None
    }
    return top.model_copy(update=upd)


@dataclass
class UpstreamPool:
    """What Envoy calls a cluster; named apart from the cluster interface (the targets)."""

    service: str
    subset: str | None
    labels: dict[str, str]
    limits: PoolLimits
    outlier: OutlierDetector | None
    hosts: list[Endpoint] = field(default_factory=list)
    active_by_host: dict[str, int] = field(default_factory=dict)
    active: int = 0
    busy: int = 0
    pending: int = 0
    retries: int = 0
    waiters: deque[asyncio.Future[None]] = field(default_factory=deque)

    @classmethod
    def build(cls, service: str, subset: str | None, dr: im.DestinationRule | None) -> UpstreamPool:
        labels: dict[str, str] = {}
        policy = dr.spec.traffic_policy if dr else None
        if dr is not None and subset is not None:
            for s in dr.spec.subsets:
                if s.name == subset:
                    labels = dict(s.labels)
                    policy = merge_policy(policy, s.traffic_policy)
        od = policy.outlier_detection if policy else None
        return cls(
            service,
            subset,
            labels,
            PoolLimits.from_istio(policy.connection_pool if policy else None),
            OutlierDetector(OutlierSettings.from_istio(od)) if od else None,
        )

    def fill(self, endpoints: list[Endpoint]) -> None:
        """Keep the ready endpoints of this service whose labels match the subset."""
        self.hosts = [
            e for e in endpoints if e.service == self.service and e.has_labels(self.labels)
        ]
        if self.outlier is not None:
            self.outlier.set_hosts([e.key for e in self.hosts])

    async def admit(self) -> bool:
        """Envoy's circuit breakers: False means overflow (503 `UO`); may wait as pending."""
        lim = self.limits
        if self.active >= lim.max_requests:
            return False
        if self.busy >= lim.max_connections:
            if self.pending >= lim.max_pending:
                return False
            self.pending += 1
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self.waiters.append(fut)
            try:
                await fut
            finally:
                self.pending -= 1
        self.busy += 1
        self.active += 1
        return True

    def release(self) -> None:
        self.busy -= 1
        self.active -= 1
        while self.waiters:
            w = self.waiters.popleft()
            if not w.done():
                w.set_result(None)
                break

    def pick(self, tried: set[str], rng: random.Random) -> Endpoint | None:
        """A host that is not ejected, preferring ones not tried yet; least request of two."""
        hosts = self.hosts
        if self.outlier is not None:
            self.outlier.sweep(time.monotonic())
            if self.outlier.ejected_count:
                ok = set(self.outlier.available([e.key for e in hosts]))
                hosts = [e for e in hosts if e.key in ok]
        if not hosts:
            return None
        if len(hosts) == 1:
            return hosts[0]
        fresh = [e for e in hosts if e.key not in tried] or hosts
        if len(fresh) == 1:
            return fresh[0]
        a, b = rng.sample(fresh, 2)  # least request, power of two choices (Istio default)
        by = self.active_by_host
        return a if by.get(a.key, 0) <= by.get(b.key, 0) else b
