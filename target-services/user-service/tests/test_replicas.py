"""Two user-service replicas on one SQLite file, hammered at once: the email stays unique and
no write fails with "database is locked"."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from harness.process import free_port, spawn, stop
from svc_common import testing

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def replicas(tmp_path_factory) -> Iterator[list[str]]:
    data = tmp_path_factory.mktemp("shared-db")
    procs, urls = [], []
    try:
        for i in range(2):
            port = free_port()
            env = testing.environment(
                "user-service", port=port, data_dir=data, extra={"ARGON2_MEMORY_KIB": "4096"}
            )
            procs.append(
                spawn(testing.command("user-service"), env=env, log_path=data / f"{i}.log")
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            testing.wait_started(url)
        yield urls
    finally:
        for proc in procs:
            stop(proc)


async def burst(urls: list[str], emails: list[str]) -> list[int]:
    async with httpx.AsyncClient(timeout=30) as client:
        calls = [
            client.post(
                f"{urls[i % len(urls)]}/api/v1/users",
                json={"email": email, "first_name": "R", "password": "replica-pass"},
            )
            for i, email in enumerate(emails)
        ]
        return [r.status_code for r in await asyncio.gather(*calls)]


def test_one_email_created_concurrently_on_two_replicas_wins_once(replicas):
    codes = asyncio.run(burst(replicas, ["Same@Example.com", "same@example.com "] * 6))
    assert sorted(codes) == [201] + [409] * 11


def test_distinct_users_created_concurrently_on_two_replicas_all_land(replicas):
    emails = [f"user{i}@example.com" for i in range(30)]
    assert asyncio.run(burst(replicas, emails)) == [201] * 30
    listed = httpx.get(f"{replicas[1]}/api/v1/users/events", params={"limit": 1000}).json()
    assert {e["email"] for e in listed["events"]} >= set(emails)
