"""`deploy/local/`: what only the local target needs beyond the Kubernetes manifests.

* `images.yaml`  image repository -> command, working directory, extra environment
* `secrets.yaml` Secrets the manifests reference, generated into the state folder (never literals)
* `cluster.yaml` port defaults and ranges, the gateway Service, Deployments not run locally,
  crash-loop back-off, Prometheus settings, the service-address component

Placeholders in commands, `cwd` and env values: `{python}` (this interpreter), `{project}` (the
project root), `{config}` (this folder), `{state}` (the state folder).
"""

from __future__ import annotations

import os
import secrets as pysecrets
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImageCommand(_Model):
    command: list[str] = Field(min_length=1)
    cwd: str = "{project}"
    env: dict[str, str] = {}


class GeneratedValue(_Model):
    """Either a literal non-secret `value` or a freshly generated random `generate` value."""

    value: str | None = None
    generate: Literal["hex", "urlsafe"] | None = None
    bytes: int = Field(default=32, ge=8, le=256)


class SecretSpec(_Model):
    name: str
    namespace: str = "default"
    data: dict[str, GeneratedValue]


class PortRange(_Model):
    first: int = Field(ge=1024, le=65535)
    last: int = Field(ge=1024, le=65535)

    @classmethod
    def parse(cls, text: str) -> PortRange:
        first, sep, last = text.partition("-")
        return cls(first=int(first), last=int(last if sep else first))


class Ports(_Model):
    admin: int = Field(default=8001, ge=1, le=65535)
    prometheus: int = Field(default=9090, ge=1, le=65535)
    gateway: int = Field(default=8000, ge=1, le=65535)
    pods: str = "20000-20999"
    services: str = "18000-18999"

    @field_validator("pods", "services")
    @classmethod
    def _range(cls, value: str) -> str:
        try:
            r = PortRange.parse(value)
        except (ValueError, ValidationError) as exc:
            raise ValueError(f"expected FIRST-LAST between 1024 and 65535, got {value!r}") from exc
        if r.last < r.first:
            raise ValueError(f"range {value!r} is empty")
        return value


class Gateway(_Model):
    service: str
    namespace: str = "default"


class Restart(_Model):
    """Crash-loop back-off: Kubernetes uses 10 s doubling to 300 s; locally much shorter."""

    backoff_initial: float = Field(default=0.5, gt=0)
    backoff_max: float = Field(default=10.0, gt=0)
    reset_after: float = Field(default=10.0, gt=0)
    default_grace: float = Field(default=5.0, ge=0)


class PrometheusSettings(_Model):
    binary: str = "prometheus"
    scrape_interval: str = "1s"
    sd_refresh_interval: str = "1s"
    retention: str = "1d"


class MeshGateway(_Model):
    """The gateway the mesh process serves on the gateway port (Kong config from the manifests)."""

    workload: str = "kong-gateway"
    service_account: str = "kong-gateway"
    labels: dict[str, str] = {"app": "kong-gateway"}


class MeshSettings(_Model):
    """The mesh data plane, run by the controller in place of the plain service addresses.

    `command` placeholders, besides the usual ones: `{plan}` (the listener plan the controller
    writes), `{admin_url}` (the controller's admin API), `{manifests}` (the manifests folder),
    `{mesh_admin_port}` (the port its admin API must listen on; also in the plan).
    """

    command: list[str] = Field(min_length=1)
    admin_port: int = Field(default=15000, ge=1, le=65535)
    gateway: MeshGateway | None = MeshGateway()
    ready_path: str = "/ready"
    metrics_path: str = "/metrics"
    # ready only once the mesh has fetched the endpoints after the pods became ready
    wait_for_endpoints: bool = True


class ClusterSettings(_Model):
    ports: Ports = Ports()
    gateway: Gateway | None = None
    service_ports: dict[str, int] = {}  # "<namespace>/<service>" or "<service>" -> pinned port
    skip: list[str] = []  # Deployments another tool runs (Locust, in-cluster Prometheus)
    restart: Restart = Restart()
    prometheus: PrometheusSettings = PrometheusSettings()
    # "module:callable" building the service-address component, or "external" when another
    # process (the mesh) binds the Service listeners itself.
    service_address: str = "harness.cluster.local.service_address:RoundRobinBalancer"
    # When set, the mesh process serves per-source Service listeners and the gateway instead.
    mesh: MeshSettings | None = None


class LocalConfig(_Model):
    directory: str
    project: str
    images: dict[str, ImageCommand]
    secrets: list[SecretSpec]
    cluster: ClusterSettings


def find_project_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding `pyproject.toml`; else `start`."""
    for candidate in (start, *start.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
    return start


def load_local_config(directory: Path, *, project: Path | None = None) -> LocalConfig:
    """Read `images.yaml` (required), `secrets.yaml` and `cluster.yaml` (optional)."""
    if not directory.is_dir():
        raise ConfigError(
            str(directory),
            "",
            "local target folder not found",
            "pass --local-config DIR (default deploy/local)",
        )
    images_raw = _read(directory / "images.yaml", required=True)
    secrets_raw = _read(directory / "secrets.yaml", required=False)
    cluster_raw = _read(directory / "cluster.yaml", required=False)
    root = project or find_project_root(directory.resolve())
    images = {
        str(repo): _validate(ImageCommand, spec, directory / "images.yaml", f"images.{repo}")
        for repo, spec in _mapping(
            images_raw.get("images"), directory / "images.yaml", "images"
        ).items()
    }
    secret_list = secrets_raw.get("secrets") or []
    if not isinstance(secret_list, list):
        raise ConfigError(str(directory / "secrets.yaml"), "secrets", "must be a list")
    specs = [
        _validate(SecretSpec, s, directory / "secrets.yaml", f"secrets[{i}]")
        for i, s in enumerate(secret_list)
    ]
    for i, spec in enumerate(specs):
        for key, gen in spec.data.items():
            if (gen.value is None) == (gen.generate is None):
                raise ConfigError(
                    str(directory / "secrets.yaml"),
                    f"secrets[{i}].data.{key}",
                    "needs exactly one of `value` or `generate`",
                    "secret values are generated: use generate: hex",
                )
    cluster = _validate(ClusterSettings, cluster_raw, directory / "cluster.yaml", "")
    return LocalConfig(
        directory=str(directory.resolve()),
        project=str(root),
        images=images,
        secrets=specs,
        cluster=cluster,
    )


def _read(path: Path, *, required: bool) -> dict[str, Any]:
    if not path.is_file():
        if required:
            raise ConfigError(str(path), "", "file not found", "map each image to a command")
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), "", f"not valid YAML: {exc}") from exc
    return _mapping(raw, path, "")


def _mapping(raw: Any, path: Path, field: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(str(path), field, "must be a mapping")
    return raw


def _validate(model: type[M], raw: Any, path: Path, prefix: str) -> M:
    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in (prefix, *err["loc"]) if str(x))
        raise ConfigError(str(path), loc, str(err["msg"])) from exc


def expand(text: str, *, config: LocalConfig, state: Path, python: str) -> str:
    """Fill `{python}`, `{project}`, `{config}` and `{state}`; other braces stay as written."""
    for key, value in (
        ("python", python),
        ("project", config.project),
        ("config", config.directory),
        ("state", str(state)),
    ):
        text = text.replace("{" + key + "}", value)
    return text


def secret_dir(state: Path, namespace: str, name: str) -> Path:
    """Where a generated Secret lives: one file per key, like a mounted Secret volume."""
    return state / "secrets" / (name if namespace == "default" else f"{namespace}.{name}")


def materialize_secrets(config: LocalConfig, state: Path) -> dict[tuple[str, str], dict[str, str]]:
    """Generate missing Secret values into `<state>/secrets/<name>/<key>`, keep existing ones.

    Values persist across `up`/`down` so a database password stays valid for its data files.
    Files are 0600 in 0700 folders; the mesh's gateway reads the same files.
    """
    folder = state / "secrets"
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    out: dict[tuple[str, str], dict[str, str]] = {}
    for spec in config.secrets:
        directory = secret_dir(state, spec.namespace, spec.name)
        directory.mkdir(exist_ok=True)
        os.chmod(directory, 0o700)
        values: dict[str, str] = {}
        for key, gen in spec.data.items():
            path = directory / key
            if gen.value is not None:
                value = gen.value
            elif path.is_file():
                values[key] = path.read_text(encoding="utf-8")
                continue
            elif gen.generate == "hex":
                value = pysecrets.token_hex(gen.bytes)
            else:
                value = pysecrets.token_urlsafe(gen.bytes)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(value)
            values[key] = value
        out[(spec.namespace, spec.name)] = values
    return out
