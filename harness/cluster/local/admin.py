"""The controller's admin API: JSON over HTTP/1.1 on loopback, guarded by a bearer token.

    GET    /api/v1/status                       controller, addresses, deployments, all ready?
    GET    /api/v1/pods[?service=S]             {"pods": [...]}
    DELETE /api/v1/pods/NAME[?gracePeriodSeconds=N][&wait=false]   like kubectl delete pod
    GET    /api/v1/deployments                  {"deployments": [...]}
    POST   /api/v1/deployments/NAME/scale       body {"replicas": N}
    GET    /api/v1/endpoints[?service=S]        {"endpoints": [...], "version": N} (mesh contract)
           ...&after=N[&timeout=30]             a watch: answers once version > N (or timeout)
    GET    /api/v1/services                     {"listeners": [...]} the Service listener plan
    GET    /api/v1/sd                           Prometheus HTTP service discovery
    GET    /metrics                             kube-state-metrics names (kube_state.py)
    GET    /api/v1/rollouts[/NAME]              {"rollouts": [...]} / {"rollout": {...}} (Argo)
    POST   /api/v1/rollouts/NAME/ACTION         image {"image", "env", "labels"}, promote
                                                {"full": bool}, abort, retry -> {"rollout"}
    GET    /metrics/cadvisor                    the pods' CPU and memory, cAdvisor names
    GET    /api/v1/autoscalers                  {"autoscalers": [...], "timeline": {...}}
    POST   /api/v1/shutdown                     stop the stack (what `harness down` asks)

h11 does the HTTP parsing; the routes are a small table, not a framework, so the controller
starts fast and an idle API costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import h11

from harness.process import LOOPBACK

_MAX_BODY = 1 << 20


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Text:
    """A handler's answer that is not JSON (the Prometheus exposition at /metrics)."""

    body: str
    content_type: str = "text/plain; version=0.0.4; charset=utf-8"


class AdminBackend(Protocol):
    def status_json(self) -> dict[str, Any]: ...
    def pods_json(self, service: str | None) -> list[dict[str, Any]]: ...
    async def delete_pod(self, name: str, grace: float | None, wait: bool) -> dict[str, Any]: ...
    def deployments_json(self) -> list[dict[str, Any]]: ...
    def scale(self, name: str, replicas: int) -> dict[str, Any]: ...
    def endpoints_json(self, service: str | None) -> list[dict[str, Any]]: ...

    endpoints_version: int

    async def wait_endpoints(self, after: int, within: float) -> None: ...
    def listeners_json(self) -> list[dict[str, Any]]: ...
    def service_discovery(self) -> list[dict[str, Any]]: ...
    def kube_state_metrics(self) -> str: ...
    def rollouts_json(self) -> list[dict[str, Any]]: ...
    def rollout_json(self, name: str) -> dict[str, Any]: ...
    def rollout_action(self, name: str, action: str, body: dict[str, Any]) -> dict[str, Any]: ...
    def cadvisor_metrics(self) -> str: ...
    def autoscalers_json(self) -> dict[str, Any]: ...
    def request_shutdown(self) -> None: ...


Query = dict[str, str]
Handler = Callable[[re.Match[str], Query, Any], Awaitable[Any]]


class AdminServer:
    def __init__(self, backend: AdminBackend, token: str) -> None:
        self._backend = backend
        self._token = token.encode()
        self._server: asyncio.Server | None = None
        b = backend

        async def status(m: re.Match[str], q: Query, body: Any) -> Any:
            return b.status_json()

        async def pods(m: re.Match[str], q: Query, body: Any) -> Any:
            return {"pods": b.pods_json(q.get("service"))}

        async def delete(m: re.Match[str], q: Query, body: Any) -> Any:
            grace = q.get("gracePeriodSeconds")
            try:
                value = None if grace is None else float(grace)
            except ValueError as exc:
                raise HttpError(400, "gracePeriodSeconds must be a number") from exc
            if value is not None and value < 0:
                raise HttpError(400, "gracePeriodSeconds must be >= 0")
            return {"pod": await b.delete_pod(m["name"], value, q.get("wait") != "false")}

        async def deployments(m: re.Match[str], q: Query, body: Any) -> Any:
            return {"deployments": b.deployments_json()}

        async def scale(m: re.Match[str], q: Query, body: Any) -> Any:
            replicas = body.get("replicas") if isinstance(body, dict) else None
            if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
                raise HttpError(400, 'body must be {"replicas": <integer >= 0>}')
            return {"deployment": b.scale(m["name"], replicas)}

        async def endpoints(m: re.Match[str], q: Query, body: Any) -> Any:
            if "after" in q:  # a watch: hold the request until something changed
                try:
                    after, timeout = int(q["after"]), min(float(q.get("timeout", 30)), 60.0)
                except ValueError as exc:
                    raise HttpError(400, "after must be an integer, timeout a number") from exc
                await b.wait_endpoints(after, timeout)
            return {"endpoints": b.endpoints_json(q.get("service")), "version": b.endpoints_version}

        async def services(m: re.Match[str], q: Query, body: Any) -> Any:
            return {"listeners": b.listeners_json()}

        async def sd(m: re.Match[str], q: Query, body: Any) -> Any:
            return b.service_discovery()

        async def metrics(m: re.Match[str], q: Query, body: Any) -> Any:
            return Text(b.kube_state_metrics())

        async def rollouts(m: re.Match[str], q: Query, body: Any) -> Any:
            return {"rollouts": b.rollouts_json()}

        async def rollout(m: re.Match[str], q: Query, body: Any) -> Any:
            return {"rollout": b.rollout_json(m["name"])}

        async def rollout_action(m: re.Match[str], q: Query, body: Any) -> Any:
            from harness.errors import BadInput

            try:
                done = b.rollout_action(
                    m["name"], m["action"], body if isinstance(body, dict) else {}
                )
            except BadInput as exc:
                raise HttpError(400, str(exc)) from exc
            return {"rollout": done}

        async def cadvisor(m: re.Match[str], q: Query, body: Any) -> Any:
            return Text(b.cadvisor_metrics())

        async def autoscalers(m: re.Match[str], q: Query, body: Any) -> Any:
            return b.autoscalers_json()

        async def shutdown(m: re.Match[str], q: Query, body: Any) -> Any:
            b.request_shutdown()
            return {"shutdown": True}

        name = r"(?P<name>[a-z0-9][a-z0-9.-]*)"
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"/api/v1/status"), status),
            ("GET", re.compile(r"/api/v1/pods"), pods),
            ("DELETE", re.compile(rf"/api/v1/pods/{name}"), delete),
            ("GET", re.compile(r"/api/v1/deployments"), deployments),
            ("POST", re.compile(rf"/api/v1/deployments/{name}/scale"), scale),
            ("PUT", re.compile(rf"/api/v1/deployments/{name}/scale"), scale),
            ("GET", re.compile(r"/api/v1/endpoints"), endpoints),
            ("GET", re.compile(r"/api/v1/services"), services),
            ("GET", re.compile(r"/api/v1/sd"), sd),
            ("GET", re.compile(r"/metrics"), metrics),
            ("GET", re.compile(r"/api/v1/rollouts"), rollouts),
            ("GET", re.compile(rf"/api/v1/rollouts/{name}"), rollout),
            (
                "POST",
                re.compile(rf"/api/v1/rollouts/{name}/(?P<action>image|promote|abort|retry)"),
                rollout_action,
            ),
            ("GET", re.compile(r"/metrics/cadvisor"), cadvisor),
            ("GET", re.compile(r"/api/v1/autoscalers"), autoscalers),
            ("POST", re.compile(r"/api/v1/shutdown"), shutdown),
        ]

    async def start(self, port: int) -> None:
        self._server = await asyncio.start_server(
            self._connection, LOOPBACK, port, reuse_address=True
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_BODY)
        try:
            while True:
                request, body = await _read_request(conn, reader)
                if request is None:
                    break
                status, payload = await self._dispatch(request, body)
                if isinstance(payload, Text):
                    data, kind = payload.body.encode(), payload.content_type
                else:
                    data, kind = json.dumps(payload).encode(), "application/json"
                headers = [("content-type", kind), ("content-length", str(len(data)))]
                writer.write(conn.send(h11.Response(status_code=status, headers=headers)) or b"")
                writer.write(conn.send(h11.Data(data=data)) or b"")
                writer.write(conn.send(h11.EndOfMessage()) or b"")
                await writer.drain()
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    break
                conn.start_next_cycle()
        except (h11.ProtocolError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _dispatch(self, request: h11.Request, body: bytes) -> tuple[int, Any]:
        auth = dict(request.headers).get(b"authorization", b"")
        if not hmac.compare_digest(auth, b"Bearer " + self._token):
            return 401, {"error": "missing or wrong bearer token (see <state>/admin.token)"}
        target = urlsplit(request.target.decode("latin-1"))
        query = {k: v[-1] for k, v in parse_qs(target.query).items()}
        method = request.method.decode()
        allowed = False
        for route_method, pattern, handler in self._routes:
            m = pattern.fullmatch(target.path.rstrip("/") or "/")
            if m is None:
                continue
            allowed = True
            if route_method != method:
                continue
            try:
                parsed = json.loads(body) if body else None
            except ValueError:
                return 400, {"error": "body is not JSON"}
            try:
                return 200, await handler(m, query, parsed)
            except HttpError as exc:
                return exc.status, {"error": exc.message}
        if allowed:
            return 405, {"error": f"{method} not allowed on {target.path}"}
        return 404, {"error": f"no route {target.path}"}


async def _read_request(
    conn: h11.Connection, reader: asyncio.StreamReader
) -> tuple[h11.Request | None, bytes]:
    request: h11.Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            conn.receive_data(data)
            if not data and request is None:
                return None, b""
            continue
        if isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > _MAX_BODY:
                raise h11.RemoteProtocolError("body too large")
        elif isinstance(event, h11.EndOfMessage):
            return request, bytes(body)
        elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
            return None, b""
