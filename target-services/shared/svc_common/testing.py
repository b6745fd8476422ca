"""Helpers for tests and benchmarks that run the services (shipped, like structlog.testing).

Process start and stop stay with the caller (the harness's `spawn`/`stop`), so this library
does not depend on the harness.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from svc_common.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.testclient import TestClient

SERVICES = ("user-service", "inventory-service", "payment-service", "order-service")
ROOT = Path(__file__).resolve().parents[3]
SERVICES_DIR = ROOT / "target-services"


def package(service: str) -> str:
    return service.replace("-", "_")


def command(service: str) -> list[str]:
    """argv that runs `service` the documented way: `python -m <package>`."""
    return [sys.executable, "-m", package(service)]


def environment(
    service: str,
    *,
    port: int,
    data_dir: Path,
    urls: Mapping[str, str] = {},
    extra: Mapping[str, str] = {},
) -> dict[str, str]:
    """The environment for one service process on loopback (PYTHONPATH as documented)."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_URL")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(SERVICES_DIR / service), str(SERVICES_DIR / "shared")]),
        HOST="127.0.0.1",
        PORT=str(port),
        DATA_DIR=str(data_dir),
        LOG_LEVEL="warning",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("DATABASE_URL", None)
    for name, url in urls.items():
        env[f"{name.upper().replace('-', '_')}_URL"] = url
    env.update(extra)
    return env


def wait_started(base_url: str, *, timeout: float = 20.0) -> None:
    """Poll /health/startup until it answers 200; TimeoutError otherwise."""
    import httpx

    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{base_url}/health/startup", timeout=1.0, trust_env=False)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}"
        except httpx.TransportError as exc:
            last = type(exc).__name__
        time.sleep(0.05)
    raise TimeoutError(f"{base_url} did not start within {timeout}s ({last})")


_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)(\{(?P<labels>.*)\})?\s+(?P<value>\S+)$")


def metric_value(text: str, name: str, labels: Mapping[str, str] = {}) -> float | None:
    """The value of the first sample of `name` whose labels include `labels`, from
    Prometheus text exposition; None when absent."""
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if not match or match["name"] != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match["labels"] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match["value"])
    return None


@contextmanager
def app_client(
    create_app: Callable[[Settings], FastAPI], service: str, data_dir: Path, **env: str
) -> Iterator[TestClient]:
    """The service's real app, lifespan included, on a real SQLite file under `data_dir`."""
    from starlette.testclient import TestClient

    settings = Settings.from_env(service, {"DATA_DIR": str(data_dir), **env})
    with TestClient(create_app(settings)) as client:
        yield client
