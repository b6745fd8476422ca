"""user-, inventory- and payment-service as real processes for order-service's tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from harness.process import free_port, spawn, stop
from svc_common import testing


@pytest.fixture(scope="module")
def deps(tmp_path_factory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("deps")
    urls, procs = {}, []
    try:
        for name in ("user-service", "inventory-service", "payment-service"):
            port = free_port()
            env = testing.environment(
                name,
                port=port,
                data_dir=root / name,
                extra={"INVENTORY_SEED_STOCK": "50", "ARGON2_MEMORY_KIB": "4096"},
            )
            procs.append(spawn(testing.command(name), env=env, log_path=root / f"{name}.log"))
            urls[name] = f"http://127.0.0.1:{port}"
        for url in urls.values():
            testing.wait_started(url)
        yield urls
    finally:
        for proc in procs:
            stop(proc)


@pytest.fixture
def hanging_url() -> Iterator[str]:
    """A loopback server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    held: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        done.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()
