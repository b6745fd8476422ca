"""Which URL the load goes to: `--host` when given, else the gateway of the running local stack."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from harness.contracts.hosts import check_url
from harness.errors import HarnessError, StackNotRunning
from harness.process import LOOPBACK, wait_for_port

DEFAULT_GATEWAY_PORT = 8000


def state_dir() -> Path:
    """The local state folder (`$HARNESS_STATE_DIR`, else `.harness/` in the working folder)."""
    return Path(os.environ.get("HARNESS_STATE_DIR") or ".harness")


def check_host(host: str, allowed: Iterable[str] = ()) -> str:
    """A `--host` the user named explicitly: an http(s) URL with a host name, no credentials,
    loopback or named in `allowed` (`--allow-host`; `harness.contracts.hosts`)."""
    return check_url(host, flag="--host", allowed=allowed)


def credentials_env(host: str, out_dir: Path) -> dict[str, str]:
    """Locust's environment for `host`: the local stack's credentials (its state folder) only
    when `host` is that stack's gateway. Values the user exported (`HARNESS_API_KEY`, ...) are
    the user's to send, and stay."""
    configured = os.environ.get("HARNESS_STATE_DIR")
    try:
        gateway = _gateway_from_controller(Path(configured) if configured else None)
    except HarnessError:
        gateway = None
    if gateway is not None and _origin(gateway) == _origin(host):
        return {}
    empty = out_dir / ".no-credentials"  # else credentials.py falls back to the project's
    empty.mkdir(parents=True, exist_ok=True)
    return {"HARNESS_STATE_DIR": str(empty)}


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port


def _gateway_from_controller(folder: Path | None) -> str | None:
    """The gateway URL the local controller reports; None when that client is not available.

    Raises StackNotRunning when the controller says there is no stack (or no gateway).
    """
    try:
        from harness.cluster.local.client import AdminClient
    except ImportError:  # a checkout without the local cluster: fall back to the port probe
        return None
    with AdminClient.from_state(folder) as client:
        gateway = client.status().get("gateway")
    if not gateway:
        raise StackNotRunning(str(folder or state_dir()))
    return str(gateway)


def resolve_host(host: str | None, allowed: Iterable[str] = ()) -> str:
    """The target URL; without `--host`, the local stack's gateway, which must be up."""
    if host:
        return check_host(host, allowed)
    # the cluster resolves the default state folder itself; pass only an explicit one
    configured = os.environ.get("HARNESS_STATE_DIR")
    gateway = _gateway_from_controller(Path(configured) if configured else None)
    if gateway is not None:
        return gateway
    port = int(os.environ.get("HARNESS_GATEWAY_PORT") or DEFAULT_GATEWAY_PORT)
    if not wait_for_port(port, timeout=0.5):
        raise StackNotRunning(str(state_dir()))
    return f"http://{LOOPBACK}:{port}"
