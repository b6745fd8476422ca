"""The resilient HTTP client against real sockets: refused, hanging, and answering peers."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from harness.process import free_port
from svc_common.breaker import BreakerConfig
from svc_common.client import ClientConfig, ServiceClient
from svc_common.errors import DownstreamError, DownstreamTimeout, DownstreamUnavailable
from svc_common.metrics import render
from svc_common.testing import metric_value


@pytest.fixture
def hanging_port() -> Iterator[int]:
    """A loopback server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def client(base_url: str, target: str, **breaker: float) -> ServiceClient:
    config = ClientConfig(breaker=BreakerConfig(**breaker))  # type: ignore[arg-type]
    return ServiceClient(service="test", target=target, base_url=base_url, config=config)


def test_a_down_dependency_trips_the_breaker_and_the_metrics_show_it():
    down = client(f"http://127.0.0.1:{free_port()}", "down-service", failure_threshold=2)

    async def scenario() -> list[DownstreamError]:
        errors = []
        for _ in range(3):
            try:
                await down.request("charge", "POST", "/api/v1/payments", json={})
            except DownstreamError as exc:
                errors.append(exc)
        await down.close()
        return errors

    errors = asyncio.run(scenario())
    assert [e.reason for e in errors] == ["unreachable", "unreachable", "circuit_open"]
    assert all(isinstance(e, DownstreamUnavailable) and e.status_code == 503 for e in errors)
    assert "circuit breaker for 'charge' is open" in errors[2].detail
    assert errors[2].headers() == {"Retry-After": "10"}
    text = render().decode()
    labels = {"service": "test", "target": "down-service", "operation": "charge"}
    assert metric_value(text, "circuit_breaker_state", labels) == 1.0
    assert (
        metric_value(text, "circuit_breaker_transitions_total", {**labels, "to_state": "open"})
        == 1.0
    )


def test_a_hanging_dependency_gives_a_timeout_not_a_hang(hanging_port):
    slow = client(f"http://127.0.0.1:{hanging_port}", "slow-service", call_timeout_s=0.2)

    async def scenario() -> DownstreamError:
        try:
            await slow.request("get_user", "GET", "/api/v1/users/1")
        except DownstreamError as exc:
            return exc
        finally:
            await slow.close()
        raise AssertionError("no error")

    error = asyncio.run(scenario())
    assert isinstance(error, DownstreamTimeout) and error.status_code == 504
    assert "did not answer 'get_user' within 0.2s" in error.detail


def test_client_errors_come_back_as_responses_and_server_errors_count():
    async def handler(request):  # type: ignore[no-untyped-def]
        code = int(request.path_params["code"])
        return JSONResponse({"detail": f"status {code}"}, status_code=code)

    app = Starlette(routes=[Route("/status/{code}", handler)])
    peer = ServiceClient(
        service="test",
        target="peer-service",
        base_url="http://peer",
        config=ClientConfig(breaker=BreakerConfig(failure_threshold=2)),
        transport=httpx.ASGITransport(app=app),
    )

    async def scenario() -> tuple[int, list[str]]:
        statuses = []
        for _ in range(5):
            statuses.append((await peer.request("op", "GET", "/status/404")).status_code)
        reasons = []
        for _ in range(3):
            try:
                await peer.request("op", "GET", "/status/500")
            except DownstreamError as exc:
                reasons.append(exc.reason)
        await peer.close()
        return statuses[-1], reasons

    last, reasons = asyncio.run(scenario())
    assert last == 404  # five 404s did not open the circuit
    assert reasons == ["server_error", "server_error", "circuit_open"]
