"""The Kubernetes objects the local target runs, as frozen records (read by `manifests`).

Only the fields the local target honours; `manifests.load_manifests` builds them from YAML and
validates every field on the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.rollout.spec import BlueGreen


@dataclass(frozen=True)
class ProbeSpec:
    """One startup/readiness/liveness probe; defaults are Kubernetes' (docs/parity.md, probes)."""

    path: str | None  # None for a tcpSocket probe
    port: str  # number or container port name, as written
    initial_delay: float = 0.0
    period: float = 10.0
    timeout: float = 1.0
    success_threshold: int = 1
    failure_threshold: int = 3
    headers: tuple[tuple[str, str], ...] = ()
    termination_grace: float | None = None


@dataclass(frozen=True)
class EnvVar:
    """`env[]`: a literal value or a reference resolved when the pod starts."""

    name: str
    value: str | None = None
    config_map_ref: tuple[str, str, bool] | None = None  # (name, key, optional)
    secret_ref: tuple[str, str, bool] | None = None
    field_path: str | None = None


@dataclass(frozen=True)
class EnvFrom:
    kind: str  # "configMap" | "secret"
    name: str
    prefix: str = ""
    optional: bool = False


@dataclass(frozen=True)
class ContainerPort:
    name: str
    number: int


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    ports: tuple[ContainerPort, ...]
    env: tuple[EnvVar, ...] = ()
    env_from: tuple[EnvFrom, ...] = ()
    startup: ProbeSpec | None = None
    readiness: ProbeSpec | None = None
    liveness: ProbeSpec | None = None

    @property
    def image_repository(self) -> str:
        """`harness/user-service:1.0` -> `harness/user-service` (registry ports kept)."""
        image = self.image.split("@", 1)[0]
        head, _, tail = image.rpartition(":")
        return head if head and "/" not in tail else image


@dataclass(frozen=True)
class Deployment:
    name: str
    namespace: str
    replicas: int
    selector: dict[str, str]
    labels: dict[str, str]
    annotations: dict[str, str]
    service_account: str
    container: Container
    termination_grace: float | None
    template_hash: str
    source: str
    # set for an Argo Rollout (its blue-green strategy): harness.cluster.local.rollouts runs it,
    # one revision (ReplicaSet) at a time, each a Deployment record with this field kept
    rollout: BlueGreen | None = None

    @property
    def app(self) -> str:
        return self.labels.get("app", self.name)

    @property
    def version(self) -> str:
        return self.labels.get("version", "")


@dataclass(frozen=True)
class ServicePort:
    name: str
    port: int
    target_port: str


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str
    selector: dict[str, str]
    ports: tuple[ServicePort, ...]
    source: str

    def selects(self, labels: dict[str, str]) -> bool:
        return bool(self.selector) and all(labels.get(k) == v for k, v in self.selector.items())


@dataclass(frozen=True)
class Manifests:
    deployments: tuple[Deployment, ...] = ()
    services: tuple[Service, ...] = ()
    config_maps: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    secrets: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
