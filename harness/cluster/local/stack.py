"""Everything the local stack will run, resolved and validated before a process starts.

`load_stack` is called twice: by `harness up` (so a broken manifest or a taken port is one
clear error in the user's terminal) and by the controller it starts (which then runs it).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from harness.cluster.local.localconfig import (
    LocalConfig,
    MeshSettings,
    PortRange,
    load_local_config,
    materialize_secrets,
)
from harness.cluster.local.manifests import load_manifests
from harness.cluster.local.objects import Deployment, Manifests
from harness.cluster.local.podspec import PodCommand, command_for
from harness.cluster.local.service_address import plan_listeners
from harness.contracts.listeners import ServiceListener
from harness.errors import BadInput, ConfigError
from harness.process import require_free

SETTINGS = {
    "admin": "--admin-port or HARNESS_ADMIN_PORT",
    "prometheus": "--prometheus-port or HARNESS_PROMETHEUS_PORT",
    "gateway": "--gateway-port or HARNESS_GATEWAY_PORT",
    "pods": "--pod-ports or HARNESS_POD_PORTS",
    "services": "--service-ports or HARNESS_SERVICE_PORTS",
    "mesh": "--mesh-admin-port or HARNESS_MESH_ADMIN_PORT",
}


@dataclass(frozen=True)
class StackOptions:
    """What the user chose on the command line (None = take deploy/local's value)."""

    state: Path
    manifests: Path
    local_config: Path
    admin_port: int | None = None
    prometheus_port: int | None = None
    gateway_port: int | None = None
    pod_ports: str | None = None
    service_ports: str | None = None
    mesh_admin_port: int | None = None
    prometheus: bool = True
    mesh: bool = True  # False: plain service addresses even when deploy/local configures a mesh
    hpa_interval: str | None = None  # "15s"; None: HARNESS_HPA_INTERVAL, else 15 s
    hpa_time_scale: float | None = None  # None: HARNESS_HPA_TIME_SCALE, else 1

    def argv(self) -> list[str]:
        """The same options as controller arguments."""
        out = [
            "--state-dir",
            str(self.state),
            "--manifests",
            str(self.manifests),
            "--local-config",
            str(self.local_config),
        ]
        for flag, value in (
            ("--admin-port", self.admin_port),
            ("--prometheus-port", self.prometheus_port),
            ("--gateway-port", self.gateway_port),
            ("--pod-ports", self.pod_ports),
            ("--service-ports", self.service_ports),
            ("--mesh-admin-port", self.mesh_admin_port),
            ("--hpa-interval", self.hpa_interval),
            ("--hpa-time-scale", self.hpa_time_scale),
        ):
            if value is not None:
                out += [flag, str(value)]
        if not self.prometheus:
            out.append("--no-prometheus")
        if not self.mesh:
            out.append("--no-mesh")
        return out


@dataclass(frozen=True)
class Ports:
    admin: int
    prometheus: int
    gateway: int
    pods: tuple[int, int]
    services: tuple[int, int]
    mesh_admin: int = 15000


@dataclass(frozen=True)
class Stack:
    options: StackOptions
    manifests: Manifests
    config: LocalConfig
    ports: Ports
    deployments: tuple[Deployment, ...]  # the ones the local target runs (skip: removed)
    commands: dict[str, PodCommand] = field(default_factory=dict)  # by "<ns>/<deployment>"
    listeners: tuple[ServiceListener, ...] = ()

    @property
    def mesh(self) -> MeshSettings | None:
        """The mesh settings when this stack runs the mesh data plane."""
        return self.config.cluster.mesh if self.options.mesh else None

    @property
    def gateway_port(self) -> int | None:
        """Where the gateway answers: the mesh's gateway, or the pinned gateway Service."""
        if self.mesh is not None:
            return self.ports.gateway if self.mesh.gateway is not None else None
        listener = self.gateway_listener
        return listener.listen_port if listener is not None else None

    @property
    def gateway_listener(self) -> ServiceListener | None:
        gw = self.config.cluster.gateway
        if gw is None or self.mesh is not None:
            return None
        return next(
            (x for x in self.listeners if x.service == gw.service and x.namespace == gw.namespace),
            None,
        )


def _range(text: str, setting: str) -> tuple[int, int]:
    try:
        r = PortRange.parse(text)
    except ValueError as exc:
        raise BadInput(f"{setting}: expected FIRST-LAST, got {text!r}") from exc
    if r.last < r.first:
        raise BadInput(f"{setting}: range {text!r} is empty")
    return r.first, r.last


def load_stack(
    options: StackOptions,
    *,
    bind_check: bool = True,
) -> Stack:
    """Read and validate manifests and deploy/local; plan the Service listeners."""
    manifests = load_manifests(options.manifests)
    config = load_local_config(options.local_config)
    c = config.cluster
    ports = Ports(
        admin=options.admin_port or c.ports.admin,
        prometheus=options.prometheus_port or c.ports.prometheus,
        gateway=options.gateway_port or c.ports.gateway,
        pods=_range(options.pod_ports or c.ports.pods, SETTINGS["pods"]),
        services=_range(options.service_ports or c.ports.services, SETTINGS["services"]),
        mesh_admin=options.mesh_admin_port or (c.mesh.admin_port if c.mesh else 15000),
    )
    mesh = c.mesh if options.mesh else None
    # `skip` names that are not in the manifests are fine: the list is shared by checkouts
    # that do not all hold every manifest yet.
    deployments = tuple(d for d in manifests.deployments if d.name not in c.skip)
    if (
        c.gateway is not None
        and mesh is None
        and not any(
            s.name == c.gateway.service and s.namespace == c.gateway.namespace
            for s in manifests.services
        )
    ):
        raise ConfigError(
            f"{config.directory}/cluster.yaml",
            "gateway.service",
            f"no Service named {c.gateway.service!r} in {options.manifests}",
        )
    fixed = {"admin": ports.admin}
    if options.prometheus:
        fixed["prometheus"] = ports.prometheus
    if mesh is not None:
        fixed["mesh"] = ports.mesh_admin
        if mesh.gateway is not None:
            fixed["gateway"] = ports.gateway
    if bind_check:
        for key, port in fixed.items():
            require_free(port, SETTINGS[key])
    pinned = dict(c.service_ports)
    if c.gateway is not None and mesh is None:
        pinned[f"{c.gateway.namespace}/{c.gateway.service}"] = ports.gateway

    def setting(service: str) -> str:
        if c.gateway is not None and service == c.gateway.service:
            return SETTINGS["gateway"]
        return f"service_ports.{service} in {config.directory}/cluster.yaml"

    listeners = (
        plan_listeners(
            manifests.services,
            port_range=ports.services,
            pinned=pinned,
            pinned_setting=setting,
            taken=set(fixed.values()),
            sources=deployments if mesh is not None else None,
        )
        if bind_check
        else []
    )
    state = options.state
    state.mkdir(parents=True, exist_ok=True)
    secrets = materialize_secrets(config, state)
    commands = {
        f"{d.namespace}/{d.name}": command_for(
            d,
            manifests,
            config,
            secrets=secrets,
            listeners=listeners,
            state=state,
            python=sys.executable,
        )
        for d in deployments
    }
    return Stack(options, manifests, config, ports, deployments, commands, tuple(listeners))
