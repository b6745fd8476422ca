"""`python -m <service>`: read the environment, build the app, serve it with uvicorn."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from fastapi import FastAPI

from svc_common.settings import Settings, SettingsError


def serve(service_name: str, create_app: Callable[[Settings], FastAPI]) -> None:
    """Run one service until SIGTERM/SIGINT; a bad environment exits 2 with one clear line."""
    try:
        settings = Settings.from_env(service_name)
        app = create_app(settings)
    except SettingsError as exc:
        print(f"{service_name}: bad environment: {exc}", file=sys.stderr)
        raise SystemExit(2) from None

    import uvicorn

    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        ws="none",  # no websockets here; skips importing a websocket stack at start-up
        access_log=False,
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
        timeout_graceful_shutdown=5,
        server_header=False,
    )
