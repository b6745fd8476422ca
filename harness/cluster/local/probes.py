"""Kubernetes probe semantics: a pure counter, and the one HTTP/TCP check.

As kubelet does them: docs/parity.md, "Kubernetes probes (local target)".

The counter only sees "this attempt passed/failed"; what a verdict does (gate the others, leave
the endpoints, restart) is the pod's business.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, replace
from enum import StrEnum

from harness.cluster.local.objects import ProbeSpec
from harness.process import LOOPBACK


class Verdict(StrEnum):
    UNKNOWN = "unknown"  # not enough consecutive results either way yet
    SUCCESS = "success"
    FAILURE = "failure"


@dataclass(frozen=True)
class ProbeCounter:
    """Consecutive successes/failures and the verdict they earned (kept until overturned)."""

    successes: int = 0
    failures: int = 0
    verdict: Verdict = Verdict.UNKNOWN

    def observe(self, ok: bool, spec: ProbeSpec) -> ProbeCounter:
        if ok:
            successes = self.successes + 1
            verdict = Verdict.SUCCESS if successes >= spec.success_threshold else self.verdict
            return replace(self, successes=successes, failures=0, verdict=verdict)
        failures = self.failures + 1
        verdict = Verdict.FAILURE if failures >= spec.failure_threshold else self.verdict
        return replace(self, successes=0, failures=failures, verdict=verdict)


async def check(spec: ProbeSpec, port: int) -> bool:
    """One probe attempt: TCP connect, or HTTP GET with 200 <= status < 400, within timeout."""
    try:
        return await asyncio.wait_for(_attempt(spec, port), timeout=spec.timeout)
    except (TimeoutError, OSError, ValueError):
        return False


async def _attempt(spec: ProbeSpec, port: int) -> bool:
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    try:
        if spec.path is None:
            return True
        headers = "".join(f"{k}: {v}\r\n" for k, v in spec.headers)
        writer.write(
            (
                f"GET {spec.path} HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\n"
                f"User-Agent: kube-probe/local\r\nAccept: */*\r\n{headers}"
                "Connection: close\r\n\r\n"
            ).encode("latin-1")
        )
        await writer.drain()
        status_line = await reader.readline()
        parts = status_line.split()
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            return False
        return 200 <= int(parts[1]) < 400
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def port_open(port: int) -> bool:
    """True when something accepts connections on the port (used to time the first probe)."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(LOOPBACK, port), 0.5)
    except (TimeoutError, OSError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
