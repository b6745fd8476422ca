"""The FastAPI application every service is built on: lifespan, health, metrics, errors."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import MetaData

from svc_common.db import Database
from svc_common.errors import InjectedFailure, ServiceError
from svc_common.health import HealthCheck, run_checks
from svc_common.metrics import CONTENT_TYPE_LATEST, render
from svc_common.middleware import ServiceMiddleware
from svc_common.settings import Settings

Hook = Callable[[], Awaitable[None]]


def misbehaviour(settings: Settings, rng: Callable[[], float] = random.random) -> Hook:
    """A dependency for API routes that stages a bad release: added latency, a share of 500s."""
    delay = settings.misbehave_latency_ms / 1000
    rate = settings.misbehave_error_rate

    async def misbehave() -> None:
        if delay:
            await asyncio.sleep(delay)
        if rate and rng() < rate:
            raise InjectedFailure(
                "injected failure (MISBEHAVE_ERROR_RATE)", service=settings.service_name
            )

    return misbehave


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(parts)


def create_service_app(
    settings: Settings,
    *,
    db: Database,
    metadata: MetaData,
    routers: Sequence[APIRouter],
    readiness: Sequence[HealthCheck] = (),
    on_startup: Hook | None = None,
    on_shutdown: Hook | None = None,
) -> FastAPI:
    """Wire one service: schema at start-up, probes, /metrics, error mapping, API routers."""
    started = asyncio.Event()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await db.create_schema(metadata)
        try:
            if on_startup is not None:
                await on_startup()
            started.set()
            yield
        finally:
            if on_shutdown is not None:
                await on_shutdown()
            await db.close()

    app = FastAPI(
        title=settings.service_name,
        version=settings.version,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    identity = {"service": settings.service_name, "version": settings.version}
    checks = [HealthCheck("database", db.ping, timeout_s=1.0), *readiness]

    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers())

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()[:20]
        ]
        return JSONResponse({"detail": _validation_message(exc), "errors": errors}, 422)

    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        return {"status": "alive", **identity}

    @app.get("/health/startup", tags=["health"])
    async def startup() -> JSONResponse:
        if not started.is_set():
            return JSONResponse({"status": "starting", **identity}, status_code=503)
        return JSONResponse({"status": "started", **identity})

    @app.get("/health/ready", tags=["health"])
    async def ready() -> JSONResponse:
        ok, results = await run_checks(checks)
        body = {"status": "ready" if ok else "unready", **identity, "checks": results}
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/metrics", tags=["health"])
    async def metrics() -> Response:
        return Response(render(), media_type=CONTENT_TYPE_LATEST)

    misbehave = misbehaviour(settings)
    for router in routers:
        app.include_router(router, dependencies=[Depends(misbehave)])
    app.add_middleware(
        ServiceMiddleware, service_name=settings.service_name, version=settings.version
    )
    return app
