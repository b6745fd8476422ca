"""A locustfile that burns its CPU, so Locust's saturation warning fires (tests only)."""

from __future__ import annotations

import time

import locust.runners
from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

# Locust samples its CPU every 10 s and warns above 90 %; sample twice a second and warn above
# 30 %, so a short test on a shared, busy machine still goes through Locust's real warning path.
locust.runners.CPU_MONITOR_INTERVAL = 0.5
locust.runners.CPU_WARNING_THRESHOLD = 30


class Busy(FastHttpUser):
    wait_time = constant(0)

    @task
    def spin(self) -> None:
        self.client.get("/ok")
        end = time.perf_counter() + 0.2
        while time.perf_counter() < end:  # no yield to gevent: the process sits at 100 % CPU
            pass
