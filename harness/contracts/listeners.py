"""The listener plans: where each Service port is served, and what the mesh proxy must bind.

Two records, two readers: `ServiceListener` is the cluster's per-Service plan (admin API
`GET /api/v1/services`, `Cluster.listeners()`); `ListenerPlan` is what the local controller
hands the mesh proxy in mesh mode (`<state>/mesh/plan.json`, docs/architecture.md, "Mesh").
The plan is a pydantic model because the proxy also reads hand-written plan files and must
name the broken field; the controller builds it with `ListenerPlan.for_listeners`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class ServiceListener:
    """One entry of the listener plan: a Service port and the loopback port that serves it.

    The mesh takes these listeners over: it binds `listen_port` and forwards to the ready
    endpoints of `service` (pods' `target_port` names are already resolved into each
    endpoint's `port`). With per-source listeners (mesh mode) each calling Deployment gets its
    own port per Service, so the proxy knows who calls (`source_*`); empty means shared.
    """

    service: str
    namespace: str
    port_name: str
    service_port: int  # the port in the Service manifest (8080)
    listen_port: int  # where it is reachable on 127.0.0.1
    target_port: str  # the Service's targetPort, number or name, as written
    source_workload: str = ""
    source_service_account: str = ""
    source_labels: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "namespace": self.namespace,
            "portName": self.port_name,
            "servicePort": self.service_port,
            "listenPort": self.listen_port,
            "targetPort": self.target_port,
            "sourceWorkload": self.source_workload,
            "sourceServiceAccount": self.source_service_account,
            "sourceLabels": dict(self.source_labels),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServiceListener:
        return cls(
            service=str(data["service"]),
            namespace=str(data.get("namespace", "default")),
            port_name=str(data.get("portName", "")),
            service_port=int(data["servicePort"]),
            listen_port=int(data["listenPort"]),
            target_port=str(data.get("targetPort", "")),
            source_workload=str(data.get("sourceWorkload", "")),
            source_service_account=str(data.get("sourceServiceAccount", "")),
            source_labels={str(k): str(v) for k, v in dict(data.get("sourceLabels", {})).items()},
        )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GatewayListener(_Strict):
    """The gateway's own port: the proxy serves Kong there under the gateway's identity."""

    port: int = 8000
    workload: str = "kong-gateway"
    service_account: str = "kong-gateway"
    labels: dict[str, str] = Field(default_factory=lambda: {"app": "kong-gateway"})


class MeshListener(_Strict):
    """One (calling Deployment, destination Service) port: the caller is known by the port."""

    source_workload: str
    source_service_account: str
    destination_service: str
    port: int
    source_labels: dict[str, str] = Field(default_factory=dict)


class ListenerPlan(_Strict):
    """What the controller tells the proxy to serve (JSON file, snake_case keys)."""

    namespace: str = "default"
    admin_port: int = 15000
    gateway: GatewayListener | None = None
    listeners: list[MeshListener] = Field(default_factory=list)

    @classmethod
    def for_listeners(
        cls,
        listeners: Iterable[ServiceListener],
        *,
        namespace: str,
        admin_port: int,
        gateway: GatewayListener | None,
    ) -> ListenerPlan:
        """The per-source listeners of `namespace` (shared ones stay the cluster's to serve)."""
        return cls(
            namespace=namespace,
            admin_port=admin_port,
            gateway=gateway,
            listeners=[
                MeshListener(
                    source_workload=x.source_workload,
                    source_service_account=x.source_service_account,
                    destination_service=x.service,
                    port=x.listen_port,
                    source_labels=dict(x.source_labels),
                )
                for x in listeners
                if x.source_workload and x.namespace == namespace
            ],
        )
