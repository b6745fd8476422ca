"""report.html in headless Chromium: it renders offline, charts are drawn, nothing complains."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from harness.process import spawn, stop
from harness.report import write_report
from tests.report.synthetic import synthetic_report

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is not installed"),
]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _devtools_url(profile: Path, deadline: float) -> str:
    port_file = profile / "DevToolsActivePort"
    while time.monotonic() < deadline:
        if port_file.is_file():
            lines = port_file.read_text(encoding="utf-8").split()
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.05)
    raise AssertionError("chromium did not open its DevTools port")


def load_in_chromium(html: Path, tmp: Path) -> dict[str, Any]:
    """Open `html` over the DevTools protocol; return the DOM facts and every complaint."""
    from websockets.sync.client import connect

    profile = tmp / "profile"
    proc = spawn(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--remote-allow-origins=*",
            "about:blank",
        ],
        log_path=tmp / "chromium.log",
    )
    try:
        deadline = time.monotonic() + 30
        with connect(_devtools_url(profile, deadline), max_size=2**24) as ws:
            ids = iter(range(1, 10_000))
            events: list[dict[str, Any]] = []

            def call(method: str, session: str | None = None, **params: Any) -> Any:
                msg_id = next(ids)
                msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params}
                if session:
                    msg["sessionId"] = session
                ws.send(json.dumps(msg))
                while True:
                    reply = json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.1)))
                    if reply.get("id") == msg_id:
                        assert "error" not in reply, reply
                        return reply.get("result", {})
                    events.append(reply)

            target = call("Target.createTarget", url="about:blank")["targetId"]
            session = call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                call(f"{domain}.enable", session)
            call("Page.navigate", session, url=html.as_uri())
            while not any(e.get("method") == "Page.loadEventFired" for e in events):
                events.append(json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.1))))
            facts = call(
                "Runtime.evaluate",
                session,
                returnByValue=True,
                expression="""({
                svgs: document.querySelectorAll('svg.chart').length,
                lines: document.querySelectorAll('svg.chart polyline.series').length,
                faults: document.querySelectorAll('svg.chart rect.fault').length,
                verdict: document.getElementById('verdict').textContent,
                tables: document.querySelectorAll('table').length,
                width: document.querySelector('svg.chart').getBoundingClientRect().width,
                scripts: document.scripts.length})""",
            )["result"]["value"]
            shot = call("Page.captureScreenshot", session, format="png")["data"]
    finally:
        stop(proc)
    complaints = [
        e
        for e in events
        if e.get("method") in ("Runtime.exceptionThrown", "Network.loadingFailed")
        or (
            e.get("method") == "Runtime.consoleAPICalled"
            and e["params"]["type"] in ("error", "warning")
        )
        or (
            e.get("method") == "Log.entryAdded"
            and e["params"]["entry"]["level"] in ("error", "warning")
        )
    ]
    requests = [
        e["params"]["request"]["url"]
        for e in events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    return {"facts": facts, "complaints": complaints, "requests": requests, "png": shot}


def test_report_renders_with_charts_and_no_errors(tmp_path: Path) -> None:
    report = synthetic_report(tmp_path, recovery=0.95)
    _, files = write_report(report, tmp_path / "reports")
    seen = load_in_chromium(files.html, tmp_path)
    facts = seen["facts"]
    assert facts["verdict"] == "failed"
    # five run charts plus one per SLO, each with the fault window shaded
    assert facts["svgs"] == 5 + len(report.scenario.harness.slos)
    assert facts["faults"] == facts["svgs"]
    assert facts["lines"] >= 6  # Locust lines in three charts, one SLI line per judged SLO
    assert facts["width"] > 300
    assert facts["tables"] >= 6
    assert facts["scripts"] == 0
    assert seen["complaints"] == []
    assert all(url.startswith("file://") for url in seen["requests"]), seen["requests"]
    assert len(seen["png"]) > 10_000  # a real picture, not a blank page
