"""Just enough of Chromium's DevTools protocol to drive a page from a test (no browser download).

Shared by every browser test (the Locust web UI, the HTML report).

Chromium is Debian's `/usr/bin/chromium`, started headless through `harness.process.spawn` with a
fresh profile; the test talks to it over a loopback WebSocket.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import websocket

from harness.process import free_port, spawn, stop, wait_for_port
from tests.waiting import eventually

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


class Browser:
    """One headless Chromium with one page; `evaluate` runs JavaScript and returns its value."""

    def __init__(self, profile: Path) -> None:
        self.port = free_port()
        argv = [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--remote-debugging-port={self.port}",
            "--remote-debugging-address=127.0.0.1",
            "about:blank",
        ]
        self.proc: subprocess.Popen[bytes] = spawn(argv, log_path=profile.parent / "chromium.log")
        self._ws: websocket.WebSocket | None = None
        self._next_id = 0
        # protocol events (console messages, network requests...) seen while waiting for answers
        self.events: list[dict[str, Any]] = []
        try:
            if not wait_for_port(self.port, timeout=30):
                raise RuntimeError("Chromium did not open its DevTools port")
            self._ws = websocket.create_connection(
                self._page_url(), timeout=30, suppress_origin=True
            )
        except BaseException:
            self.close()
            raise

    def _page_url(self) -> str:
        def pages() -> list[dict[str, Any]]:
            url = f"http://127.0.0.1:{self.port}/json/list"
            with urllib.request.urlopen(url, timeout=5) as answer:
                targets = json.load(answer)
            return [t for t in targets if t.get("type") == "page"]

        found = eventually(pages, timeout=15, interval=0.1, message="Chromium has no page target")
        return str(found[0]["webSocketDebuggerUrl"])

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        assert self._ws is not None
        self._next_id += 1
        self._ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv())
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self.events.append(message)

    def wait_event(self, method: str, *, timeout: float = 30.0) -> dict[str, Any]:
        """Read protocol messages until event `method` arrives (or one already has)."""
        assert self._ws is not None
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > deadline:
                raise RuntimeError(f"no {method} event within {timeout} s")
            self._ws.settimeout(max(deadline - time.monotonic(), 0.1))
            message = json.loads(self._ws.recv())
            if "method" in message:
                self.events.append(message)
        return next(e for e in self.events if e.get("method") == method)

    def evaluate(self, expression: str) -> Any:
        answer = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in answer:
            raise RuntimeError(f"page script failed: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def open(self, url: str) -> None:
        self.send("Page.navigate", url=url)

    def wait_for(self, expression: str, *, timeout: float = 20.0) -> Any:
        """Poll `expression` until it is truthy; returns its value (None on timeout)."""
        try:
            return eventually(
                lambda: self.evaluate(expression),
                timeout=timeout,
                interval=0.2,
                ignoring=(RuntimeError,),  # the page is still loading its scripts
            )
        except AssertionError:
            return None

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
        stop(self.proc)
