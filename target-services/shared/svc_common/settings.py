"""Service settings from the environment (docs/architecture.md, "Sample services").

Every service reads the same names: PORT, HOST, SERVICE_VERSION, DATABASE_URL (else a SQLite
file under DATA_DIR), MISBEHAVE_ERROR_RATE and MISBEHAVE_LATENCY_MS. Other services are found
the Kubernetes way (`service_url`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot use (message names it)."""


def env_float(
    env: Mapping[str, str], name: str, default: float, *, low: float, high: float
) -> float:
    """A float from `env[name]` within [low, high]; a clear SettingsError otherwise."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        msg = f"{name}={raw!r} is not a number; set it to a value in [{low}, {high}]"
        raise SettingsError(msg) from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={raw} is out of range; set it to a value in [{low}, {high}]")
    return value


def env_int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    """An int from `env[name]` within [low, high]; a clear SettingsError otherwise."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        msg = f"{name}={raw!r} is not an integer; set it to one in [{low}, {high}]"
        raise SettingsError(msg) from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={raw} is out of range; set it to one in [{low}, {high}]")
    return value


def normalise_database_url(url: str) -> str:
    """Pick the async driver for plain `sqlite://` and `postgresql://` URLs."""
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


@dataclass(frozen=True)
class Settings:
    """What one service process needs to know about its environment."""

    service_name: str
    host: str
    port: int
    version: str
    database_url: str
    misbehave_error_rate: float
    misbehave_latency_ms: int
    env: Mapping[str, str]

    @classmethod
    def from_env(cls, service_name: str, env: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("DATA_DIR", "./data"))
        default_db = f"sqlite+aiosqlite:///{data_dir / (service_name + '.db')}"
        return cls(
            service_name=service_name,
            host=env.get("HOST", "0.0.0.0"),
            port=env_int(env, "PORT", 8080, low=1, high=65535),
            version=env.get("SERVICE_VERSION", "v1") or "v1",
            database_url=normalise_database_url(env.get("DATABASE_URL") or default_db),
            misbehave_error_rate=env_float(env, "MISBEHAVE_ERROR_RATE", 0.0, low=0.0, high=1.0),
            misbehave_latency_ms=env_int(env, "MISBEHAVE_LATENCY_MS", 0, low=0, high=600_000),
            env=env,
        )

    def service_url(self, name: str) -> str:
        """Where `name` (e.g. "payment-service") answers: <NAME>_URL, else the Kubernetes
        <NAME>_SERVICE_HOST/_PORT variables, else the cluster DNS name on port 8080."""
        key = name.upper().replace("-", "_")
        explicit = self.env.get(f"{key}_URL", "").strip()
        if explicit:
            return explicit.rstrip("/")
        host = self.env.get(f"{key}_SERVICE_HOST", "").strip()
        if host:
            port = self.env.get(f"{key}_SERVICE_PORT", "").strip() or "8080"
            if ":" in host:  # an IPv6 service address needs brackets in a URL
                host = f"[{host}]"
            return f"http://{host}:{port}"
        return f"http://{name}:8080"
