"""Which URL the load goes to: `--host` when given, else the gateway of the running local stack."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from harness.errors import BadInput, StackNotRunning
from harness.process import LOOPBACK, wait_for_port

DEFAULT_GATEWAY_PORT = 8000


def state_dir() -> Path:
    """The local state folder (`$HARNESS_STATE_DIR`, else `.harness/` in the working folder)."""
    return Path(os.environ.get("HARNESS_STATE_DIR") or ".harness")


def check_host(host: str) -> str:
    """A `--host` the user named explicitly: an http(s) URL with a host name, no credentials."""
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"--host: {host!r} is not an http(s) URL (e.g. http://127.0.0.1:8000)")
    if parts.username or parts.password:
        raise BadInput("--host: credentials in the URL are not accepted (they would be logged)")
    return host.rstrip("/")


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


def resolve_host(host: str | None) -> str:
    """The target URL; without `--host`, the local stack's gateway, which must be up."""
    if host:
        return check_host(host)
    # the cluster resolves the default state folder itself; pass only an explicit one
    configured = os.environ.get("HARNESS_STATE_DIR")
    gateway = _gateway_from_controller(Path(configured) if configured else None)
    if gateway is not None:
        return gateway
    port = int(os.environ.get("HARNESS_GATEWAY_PORT") or DEFAULT_GATEWAY_PORT)
    if not wait_for_port(port, timeout=0.5):
        raise StackNotRunning(str(state_dir()))
    return f"http://{LOOPBACK}:{port}"
