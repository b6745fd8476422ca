"""From a Deployment to the exact process a pod runs: command, working directory, environment.

Pure functions of the manifests, `deploy/local/` and the addresses the controller assigned, so
every resolution error surfaces before anything starts, naming the file and field.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.cluster.local.forkserver import INHERITED
from harness.cluster.local.localconfig import LocalConfig, expand
from harness.cluster.local.objects import Deployment, EnvVar, Manifests, Service
from harness.contracts.listeners import ServiceListener
from harness.errors import ConfigError
from harness.process import LOOPBACK

# The local target owns these: replicas share a machine, so the manifest's PORT=8080 cannot win.
FORCED = ("PORT", "HOST", "DATA_DIR", "HARNESS_STATE_DIR")


@dataclass(frozen=True)
class PodCommand:
    argv: tuple[str, ...]
    cwd: str
    env: dict[str, str]  # without the per-pod values (names, ports)


def command_for(
    deployment: Deployment,
    manifests: Manifests,
    config: LocalConfig,
    *,
    secrets: Mapping[tuple[str, str], Mapping[str, str]],
    listeners: list[ServiceListener],
    state: Path,
    python: str,
) -> PodCommand:
    """The command and the resolved environment a pod of `deployment` gets (ConfigError if not)."""
    c = deployment.container
    base = "spec.template.spec.containers[0]"
    image = config.images.get(c.image_repository) or config.images.get(c.image)
    if image is None:
        raise ConfigError(
            deployment.source,
            f"Deployment {deployment.name}: {base}.image",
            f"no local command for image {c.image!r}",
            f"map {c.image_repository!r} in {config.directory}/images.yaml, or list "
            f"{deployment.name!r} under skip: in {config.directory}/cluster.yaml",
        )
    env: dict[str, str] = {k: os.environ[k] for k in INHERITED if k in os.environ}
    env.update(service_links(deployment, manifests.services, listeners))
    env.update(
        {k: expand(v, config=config, state=state, python=python) for k, v in image.env.items()}
    )
    all_secrets = {**manifests.secrets, **secrets}
    for i, ref in enumerate(c.env_from):
        source = manifests.config_maps if ref.kind == "configMap" else all_secrets
        data = source.get((deployment.namespace, ref.name))
        if data is None:
            if ref.optional:
                continue
            raise _missing(
                deployment, config, f"{base}.envFrom[{i}].{ref.kind}Ref", ref.kind, ref.name
            )
        env.update({ref.prefix + k: v for k, v in data.items()})
    for i, var in enumerate(c.env):
        value = _env_value(deployment, config, manifests, all_secrets, var, f"{base}.env[{i}]")
        if value is not None:
            env[var.name] = _expand_refs(value, env)
    env.setdefault("SERVICE_VERSION", deployment.version or "v1")
    argv = tuple(expand(a, config=config, state=state, python=python) for a in image.command)
    cwd = expand(image.cwd, config=config, state=state, python=python)
    return PodCommand(argv=argv, cwd=cwd, env=env)


def _missing(dep: Deployment, config: LocalConfig, path: str, kind: str, name: str) -> ConfigError:
    fix = (
        f"add it to {config.directory}/secrets.yaml"
        if kind.startswith("secret")
        else "add the ConfigMap to the manifests"
    )
    label = "Secret" if kind.startswith("secret") else "ConfigMap"
    return ConfigError(
        dep.source,
        f"Deployment {dep.name}: {path}",
        f"{label} {name!r} not found in namespace {dep.namespace!r}",
        fix,
    )


def _env_value(
    dep: Deployment,
    config: LocalConfig,
    manifests: Manifests,
    secrets: Mapping[tuple[str, str], Mapping[str, str]],
    var: EnvVar,
    path: str,
) -> str | None:
    if var.value is not None:
        return var.value
    if var.field_path is not None:
        return None  # per pod, filled by pod_env
    source: Mapping[tuple[str, str], Mapping[str, str]]
    if var.config_map_ref is not None:
        kind, (name, key, optional), source = "configMap", var.config_map_ref, manifests.config_maps
        ref_path = f"{path}.valueFrom.configMapKeyRef"
    else:
        assert var.secret_ref is not None
        kind, (name, key, optional), source = "secret", var.secret_ref, secrets
        ref_path = f"{path}.valueFrom.secretKeyRef"
    data = source.get((dep.namespace, name))
    if data is None or key not in data:
        if optional:
            return None
        if data is None:
            raise _missing(dep, config, ref_path, kind, name)
        raise ConfigError(
            dep.source,
            f"Deployment {dep.name}: {ref_path}.key",
            f"key {key!r} not found in {name!r}",
        )
    return str(data[key])


_REF = re.compile(r"\$\((\w+)\)|\$\$")


def _expand_refs(value: str, env: Mapping[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion: defined names are replaced, `$$` escapes, rest stays."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))

    return _REF.sub(sub, value)


def env_name(service: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", service).upper()


def service_links(
    source: Deployment, services: tuple[Service, ...], listeners: list[ServiceListener]
) -> dict[str, str]:
    """`<NAME>_SERVICE_HOST`, `_PORT`, `_PORT_<PORTNAME>` for each Service of the namespace."""
    env: dict[str, str] = {}
    namespace = source.namespace
    for svc in services:
        if svc.namespace != namespace:
            continue
        # per-source listeners (mesh mode) first: the proxy then knows who is calling
        mine = [
            x
            for x in listeners
            if x.service == svc.name
            and x.namespace == namespace
            and x.source_workload == source.name
        ]
        mine = mine or [
            x
            for x in listeners
            if x.service == svc.name and x.namespace == namespace and not x.source_workload
        ]
        if not mine:
            continue
        name = env_name(svc.name)
        env[f"{name}_SERVICE_HOST"] = LOOPBACK
        env[f"{name}_SERVICE_PORT"] = str(mine[0].listen_port)
        for listener in mine:
            if listener.port_name:
                env[f"{name}_SERVICE_PORT_{env_name(listener.port_name)}"] = str(
                    listener.listen_port
                )
    return env


def pod_env(
    command: PodCommand,
    deployment: Deployment,
    *,
    pod: str,
    port: int,
    ports: Mapping[str, int],
    data_dir: Path,
    state: Path,
) -> dict[str, str]:
    """The final environment of one pod: per-pod fields and the values the local target owns."""
    env = dict(command.env)
    fields = {
        "metadata.name": pod,
        "metadata.namespace": deployment.namespace,
        "status.podIP": LOOPBACK,
        "status.hostIP": LOOPBACK,
        "spec.nodeName": "local",
        "spec.serviceAccountName": deployment.service_account,
    }
    for var in deployment.container.env:
        if var.field_path is None:
            continue
        m = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", var.field_path)
        if m:
            source = deployment.labels if m.group(1) == "labels" else deployment.annotations
            env[var.name] = source.get(m.group(2), "")
        else:
            env[var.name] = fields.get(var.field_path, "")
    for cp in deployment.container.ports:
        if cp.name:
            env[f"PORT_{env_name(cp.name)}"] = str(ports.get(cp.name, port))
    env.update(
        {
            "PORT": str(port),
            "HOST": LOOPBACK,
            "DATA_DIR": str(data_dir),
            "HARNESS_STATE_DIR": str(state),
        }
    )
    return env


def local_ports(deployment: Deployment, allocate: list[int]) -> dict[str, int]:
    """Container port number and name -> local port (`allocate`: one per container port)."""
    out: dict[str, int] = {}
    for cp, local in zip(deployment.container.ports, allocate, strict=False):
        out[str(cp.number)] = local
        if cp.name:
            out[cp.name] = local
    return out


def target_port(ports: Mapping[str, int], target: str, main: int) -> int:
    """A Service `targetPort` or probe `port` (number or name) -> the pod's local port."""
    return ports.get(target, main)
