"""A locustfile for the latency tests: LeanHttpUser (so the recorder and the pacer are on),
one sign-up in on_start, then browsing. Wait time from LOAD_TEST_WAIT (seconds)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "loadtests"))

from common.client import LeanHttpUser
from locust import constant, task


class Browser(LeanHttpUser):  # type: ignore[misc]  # imported by path: mypy sees Any
    wait_time = constant(float(os.environ.get("LOAD_TEST_WAIT", "0.05")))

    def on_start(self) -> None:
        self.client.post("/signup", name="POST /api/v1/users")

    @task
    def browse(self) -> None:
        self.client.get("/inventory", name="GET /api/v1/inventory")
