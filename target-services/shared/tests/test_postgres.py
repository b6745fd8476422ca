"""The same service code on PostgreSQL (asyncpg): a real server in a temporary folder."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.process import free_port, spawn, stop, wait_for_port
from inventory_service.app import create_app as inventory_app
from payment_service.app import create_app as payment_app
from svc_common.testing import app_client
from user_service.app import create_app as user_app

pytestmark = pytest.mark.integration


def _postgres_bin() -> Path | None:
    found = shutil.which("postgres") or shutil.which("initdb")
    return Path(os.path.realpath(found)).parent if found else None


def _as_user() -> list[str]:
    """Run as `postgres` when we are root (the server refuses to run as root)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no postgres user to run the server as")
    # --pdeathsig: changing the user clears the death signal `spawn` set, so set it again
    return [
        "setpriv",
        "--reuid=postgres",
        "--regid=postgres",
        "--init-groups",
        "--pdeathsig=KILL",
        "--",
    ]


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (no postgres/initdb on PATH)")
    prefix = _as_user()
    root = Path(tempfile.mkdtemp(prefix="svc-pg-"))
    if prefix:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    argv = [*prefix, str(bindir / "postgres"), "-D", str(data), "-p", str(port)]
    argv += ["-h", "127.0.0.1", "-k", str(root), "-c", "fsync=off"]
    server = spawn(argv, log_path=root / "postgres.log")
    try:
        assert wait_for_port(port, timeout=30), "postgres did not start"
        url = f"postgresql://postgres@127.0.0.1:{port}"
        asyncio.run(_create_databases(url, ["users", "inventory", "payments"]))
        yield url
    finally:
        stop(server)
        shutil.rmtree(root, ignore_errors=True)


async def _create_databases(url: str, names: list[str]) -> None:
    import asyncpg

    for _ in range(100):  # the port opens a moment before the server accepts logins
        try:
            conn = await asyncpg.connect(f"{url}/postgres")
            break
        except (OSError, asyncpg.CannotConnectNowError):
            await asyncio.sleep(0.1)
    else:
        raise AssertionError("postgres never accepted a connection")
    try:
        for name in names:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def test_user_service_on_postgres(postgres, tmp_path):
    with app_client(user_app, "user-service", tmp_path, DATABASE_URL=f"{postgres}/users") as api:
        body = {"email": "Pg@Example.com", "first_name": "P", "password": "postgres-pass"}
        created = api.post("/api/v1/users", json=body)
        assert created.status_code == 201
        assert api.post("/api/v1/users", json=body).status_code == 409
        user_id = created.json()["id"]
        assert api.post(f"/api/v1/users/{user_id}/activate").json()["status"] == "active"
        login = api.post(
            "/api/v1/users/login", json={"email": "pg@example.com", "password": "postgres-pass"}
        )
        assert login.status_code == 200
        events = api.get("/api/v1/users/events").json()["events"]
        assert [e["type"] for e in events] == ["user.created", "user.activated", "user.login"]
        assert api.get("/health/ready").json()["checks"]["database"]["status"] == "healthy"


def test_inventory_and_payment_services_on_postgres(postgres, tmp_path):
    url = f"{postgres}/inventory"
    with app_client(inventory_app, "inventory-service", tmp_path, DATABASE_URL=url) as api:
        lines = {"items": [{"sku": "SKU-0002", "quantity": 3}]}
        key = {"Idempotency-Key": "pg-order-1"}
        assert (
            api.post("/api/v1/inventory/reservations", json=lines, headers=key).status_code == 201
        )
        assert (
            api.post("/api/v1/inventory/reservations", json=lines, headers=key).status_code == 200
        )
        assert api.get("/api/v1/inventory/items/SKU-0002").json()["stock"] == 1_000_000 - 3
        api.post("/api/v1/inventory/reservations/pg-order-1/release")
        assert api.get("/api/v1/inventory/items/SKU-0002").json()["stock"] == 1_000_000
    url = f"{postgres}/payments"
    with app_client(payment_app, "payment-service", tmp_path, DATABASE_URL=url) as api:
        body = {"user_id": "u", "amount": "12.34", "method": "card"}
        first = api.post("/api/v1/payments", json=body, headers={"Idempotency-Key": "pg-1"})
        again = api.post("/api/v1/payments", json=body, headers={"Idempotency-Key": "pg-1"})
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json() and first.json()["amount"] == "12.34"
