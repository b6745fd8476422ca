"""Where the proxy learns endpoints (pods behind services) and its listener plan.

`EndpointSource` is a small protocol: the local controller's admin API in production
(`GET /api/v1/endpoints`, bearer token from `<state>/admin.token`), a JSON file in tests. Both
return the same snapshot shape.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import ConfigError, CouldNotRun

_POD_SUFFIX = re.compile(r"-[a-z0-9]{5,10}(-[a-z0-9]{5})?$")


@dataclass(frozen=True)
class Endpoint:
    service: str
    pod: str
    ip: str
    port: int
    ready: bool
    labels: tuple[tuple[str, str], ...]
    service_account: str
    workload: str
    key: str = field(default="", compare=False)

    def label(self, name: str, default: str = "unknown") -> str:
        for k, v in self.labels:
            if k == name:
                return v
        return default

    def has_labels(self, wanted: dict[str, str]) -> bool:
        mine = dict(self.labels)
        return all(mine.get(k) == v for k, v in wanted.items())


class _EndpointIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    service: str
    pod: str = ""
    ip: str
    port: int
    ready: bool = True
    labels: dict[str, str] = Field(default_factory=dict)
    service_account: str = Field(default="default", alias="serviceAccount")
    workload: str | None = None


class _Snapshot(BaseModel):
    endpoints: list[_EndpointIn]


def parse_snapshot(raw: bytes | str, origin: str) -> list[Endpoint]:
    try:
        snap = _Snapshot.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(
            origin,
            ".".join(str(p) for p in first["loc"]),
            first["msg"],
            'expected {"endpoints": [{"service", "ip", "port", ...}]}',
        ) from exc
    out = []
    for e in snap.endpoints:
        workload = e.workload or (_POD_SUFFIX.sub("", e.pod) if e.pod else e.service)
        out.append(
            Endpoint(
                e.service,
                e.pod,
                e.ip,
                e.port,
                e.ready,
                tuple(sorted(e.labels.items())),
                e.service_account,
                workload,
                f"{e.ip}:{e.port}",
            )
        )
    return out


class EndpointSource(Protocol):
    # True: snapshot() itself waits for a change (a watch), so the caller need not sleep
    watches: bool

    async def snapshot(self) -> list[Endpoint]:
        """The current endpoints (called every poll interval, or in a loop when `watches`)."""
        ...


class FileEndpoints:
    """Endpoints from a JSON file (tests, or a hand-run proxy); re-read when it changes."""

    watches = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime = -1.0
        self._last: list[Endpoint] = []

    async def snapshot(self) -> list[Endpoint]:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return self._last
        if mtime != self._mtime:
            self._last = parse_snapshot(self.path.read_bytes(), str(self.path))
            self._mtime = mtime
        return self._last


class AdminEndpoints:
    """Endpoints from the local controller's admin API, watched: after the first answer each
    request names the version it has (`?after=N`) and the controller holds it until the
    endpoints change, so a pod that turns ready reaches the mesh at once, not a poll later."""

    watches = True
    WATCH_S = 10.0  # how long the controller may hold one request

    def __init__(self, url: str, token_path: Path) -> None:
        self.url = url.rstrip("/") + "/api/v1/endpoints"
        self.token_path = token_path
        self._client: object | None = None
        self._version: int | None = None

    async def snapshot(self) -> list[Endpoint]:
        import httpx

        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.WATCH_S + 5.0, trust_env=False)
        assert isinstance(self._client, httpx.AsyncClient)
        params = {} if self._version is None else {"after": self._version, "timeout": self.WATCH_S}
        try:
            token = self.token_path.read_text(encoding="utf-8").strip()
            resp = await self._client.get(
                self.url, params=params, headers={"Authorization": f"Bearer {token}"}
            )
        except (OSError, httpx.HTTPError) as exc:
            self._version = None  # start over with a plain read
            raise CouldNotRun(f"controller admin API {self.url}: {exc}") from exc
        if resp.status_code != 200:
            self._version = None
            raise CouldNotRun(f"controller admin API {self.url}: HTTP {resp.status_code}")
        endpoints = parse_snapshot(resp.content, self.url)
        version = resp.json().get("version")
        self._version = version if isinstance(version, int) else None
        return endpoints


# --- listener plan ---------------------------------------------------------------------------


class _P(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GatewayListener(_P):
    port: int = 8000
    workload: str = "kong-gateway"
    service_account: str = "kong-gateway"
    labels: dict[str, str] = Field(default_factory=lambda: {"app": "kong-gateway"})


class MeshListener(_P):
    source_workload: str
    source_service_account: str
    destination_service: str
    port: int
    source_labels: dict[str, str] = Field(default_factory=dict)


class ListenerPlan(_P):
    """What the controller tells the proxy to serve (JSON file)."""

    namespace: str = "default"
    admin_port: int = 15000
    gateway: GatewayListener | None = None
    listeners: list[MeshListener] = Field(default_factory=list)


def load_plan(path: Path) -> ListenerPlan:
    try:
        return ListenerPlan.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise ConfigError(
            str(path), "", f"cannot read listener plan: {exc}", "check the path"
        ) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(
            str(path),
            ".".join(str(p) for p in first["loc"]),
            first["msg"],
            "see docs/architecture.md, Mesh",
        ) from exc


async def poll(source: EndpointSource, apply: object, interval: float) -> None:
    """Feed snapshots to `apply` forever; a failed poll keeps the last good endpoints."""
    assert callable(apply)
    while True:
        with contextlib.suppress(CouldNotRun, ConfigError, json.JSONDecodeError):
            apply(await source.snapshot())
        await asyncio.sleep(interval)
