"""Where the proxy learns endpoints (pods behind services) and its listener plan.

`EndpointSource` is a small protocol: the local controller's admin API in production
(`GET /api/v1/endpoints`, bearer token from `<state>/admin.token`), a JSON file in tests. Both
return the same snapshot shape, read into the cluster contract's `Endpoint` records; the plan
is the contract's `ListenerPlan`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from harness.contracts.cluster import Endpoint
from harness.contracts.listeners import ListenerPlan
from harness.errors import ConfigError, CouldNotRun

_SNAPSHOT_FIX = 'expected {"endpoints": [{"service", "ip", "port", ...}]}'


def parse_snapshot(raw: bytes | str, origin: str) -> list[Endpoint]:
    """`{"endpoints": [...]}` as records; ConfigError naming the broken field otherwise."""
    try:
        data: Any = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(origin, "", f"not JSON: {exc}", _SNAPSHOT_FIX) from exc
    items = data.get("endpoints") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ConfigError(origin, "endpoints", "a list is required", _SNAPSHOT_FIX)
    out = []
    for i, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise TypeError("an object is required")
            out.append(Endpoint.from_json(item))
        except KeyError as exc:
            field = f"endpoints.{i}.{exc.args[0]}"
            raise ConfigError(origin, field, "Field required", _SNAPSHOT_FIX) from exc
        except (TypeError, ValueError) as exc:
            raise ConfigError(origin, f"endpoints.{i}", str(exc), _SNAPSHOT_FIX) from exc
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
