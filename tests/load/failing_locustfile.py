"""A locustfile for the tests: one request per outcome, recorded with loadtests' helpers.

`PROBE_CLIENT=lean` runs it on loadtests' `LeanHttpUser`, anything else on Locust's FastHttpUser.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "loadtests"))

from common.client import LeanHttpUser
from common.outcome import record
from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

Base = LeanHttpUser if os.environ.get("PROBE_CLIENT") == "lean" else FastHttpUser


class Prober(Base):  # type: ignore[valid-type,misc]  # the base is chosen at import time
    wait_time = constant(float(os.environ.get("PROBE_WAIT", "0.05")))
    network_timeout = 0.3
    connection_timeout = 0.3

    def _get(self, path: str) -> None:
        with self.client.get(path, catch_response=True) as response:
            record(response)

    @task(4)
    def ok(self) -> None:
        self._get("/ok")

    @task
    def limited(self) -> None:
        self._get("/status/429")

    @task
    def unavailable(self) -> None:
        self._get("/status/503")

    @task
    def gateway_timeout(self) -> None:
        self._get("/status/504")

    @task
    def slow(self) -> None:
        self._get("/sleep/1")

    @task
    def refused(self) -> None:
        # a port nobody listens on: the connection is refused
        with self.client.get(
            os.environ["PROBE_DEAD_URL"], name="/refused", catch_response=True
        ) as response:
            record(response)
