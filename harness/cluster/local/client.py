"""Typed client of the local controller's admin API (httpx); chaos actions and the mesh use it.

    client = AdminClient.from_state(".harness")
    for pod in client.pods(service="user-service"): ...
    client.delete_pod(pod.name, grace_period=0)      # forced, like kubectl --grace-period=0
    client.scale("user-service", 3)
    client.endpoints(service="user-service")

It implements `harness.contracts.cluster.Cluster`. Every transport failure becomes
`StackNotRunning` or `CouldNotRun`, never a bare httpx exception.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from harness.cluster.local.state import StateDir, resolve_state_dir
from harness.contracts.cluster import DeploymentStatus, Endpoint, PodStatus
from harness.contracts.listeners import ServiceListener
from harness.errors import BadInput, CouldNotRun, StackNotRunning


class AdminClient:
    def __init__(
        self, base_url: str, token: str, *, timeout: float = 10.0, state_dir: str = ""
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._state_dir = state_dir
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            trust_env=False,  # loopback only: never through a proxy from the environment
            follow_redirects=False,
        )

    @classmethod
    def from_state(
        cls, state_dir: str | Path | None = None, *, timeout: float = 10.0
    ) -> AdminClient:
        """The client of the stack running in `state_dir` (StackNotRunning when there is none)."""
        state = StateDir(resolve_state_dir(state_dir))
        record = state.controller()
        if record is None:
            raise StackNotRunning(str(state.root))
        return cls(
            f"http://127.0.0.1:{int(record['adminPort'])}",
            state.token(),
            timeout=timeout,
            state_dir=str(state.root),
        )

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.ConnectError as exc:
            raise StackNotRunning(self._state_dir or self.base_url) from exc
        except httpx.HTTPError as exc:
            raise CouldNotRun(f"admin API {method} {path}: {exc}") from exc
        if response.status_code in (400, 404):
            raise BadInput(str(response.json().get("error", response.text)))
        if response.status_code != 200:
            raise CouldNotRun(
                f"admin API {method} {path}: HTTP {response.status_code} {response.text[:200]}"
            )
        return response.json()

    # ---- Cluster --------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Controller pid, addresses, deployments and whether all are available."""
        data: dict[str, Any] = self._call("GET", "/api/v1/status")
        return data

    def pods(self, *, service: str | None = None) -> list[PodStatus]:
        params = {"service": service} if service else None
        data = self._call("GET", "/api/v1/pods", params=params)
        return [PodStatus.from_json(p) for p in data["pods"]]

    def delete_pod(
        self, name: str, *, grace_period: float | None = None, wait: bool = True
    ) -> PodStatus:
        params: dict[str, str] = {} if wait else {"wait": "false"}
        if grace_period is not None:
            params["gracePeriodSeconds"] = str(grace_period)
        data = self._call("DELETE", f"/api/v1/pods/{name}", params=params)
        return PodStatus.from_json(data["pod"])

    def scale(self, deployment: str, replicas: int) -> DeploymentStatus:
        data = self._call(
            "POST", f"/api/v1/deployments/{deployment}/scale", json={"replicas": replicas}
        )
        return DeploymentStatus.from_json(data["deployment"])

    def autoscalers(self) -> dict[str, Any]:
        """`{"autoscalers": [...], "timeline": {"<ns>/<hpa>": [decisions]}}`."""
        data: dict[str, Any] = self._call("GET", "/api/v1/autoscalers")
        return data

    def deployments(self) -> list[DeploymentStatus]:
        data = self._call("GET", "/api/v1/deployments")
        return [DeploymentStatus.from_json(d) for d in data["deployments"]]

    def endpoints(self, *, service: str | None = None) -> list[Endpoint]:
        params = {"service": service} if service else None
        data = self._call("GET", "/api/v1/endpoints", params=params)
        return [Endpoint.from_json(e) for e in data["endpoints"]]

    def watch_endpoints(
        self, after: int, *, service: str | None = None, timeout: float = 30.0
    ) -> tuple[int, list[Endpoint]]:
        """Block until the endpoints change past version `after` (or `timeout`); new version."""
        params: dict[str, str] = {"after": str(after), "timeout": str(timeout)}
        if service:
            params["service"] = service
        data = self._call("GET", "/api/v1/endpoints", params=params, timeout=timeout + 5.0)
        return int(data["version"]), [Endpoint.from_json(e) for e in data["endpoints"]]

    def listeners(self) -> list[ServiceListener]:
        data = self._call("GET", "/api/v1/services")
        return [ServiceListener.from_json(x) for x in data["listeners"]]

    def service_discovery(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self._call("GET", "/api/v1/sd")
        return data

    # ---- Argo Rollouts (blue-green) ------------------------------------------------------

    def rollouts(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self._call("GET", "/api/v1/rollouts")["rollouts"]
        return data

    def rollout(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = self._call("GET", f"/api/v1/rollouts/{name}")["rollout"]
        return data

    def rollout_action(
        self, name: str, action: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """`image` (body {"image", "env", "labels"}), `promote` ({"full"}), `abort`, `retry`."""
        data: dict[str, Any] = self._call(
            "POST", f"/api/v1/rollouts/{name}/{action}", json=body or {}
        )["rollout"]
        return data

    def shutdown(self) -> None:
        self._call("POST", "/api/v1/shutdown")
