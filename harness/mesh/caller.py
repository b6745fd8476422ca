"""Who calls through the mesh: the identity a listener (or the gateway) stands for.

Its own module because the data plane (`mesh.py`) and the metrics recorder
(`istio_metrics.py`) both read it, and neither should import the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """The calling workload (a listener's source, or the gateway)."""

    workload: str
    service_account: str
    labels: tuple[tuple[str, str], ...]
    namespace: str = "default"

    @property
    def principal(self) -> str:
        return f"cluster.local/ns/{self.namespace}/sa/{self.service_account}"
