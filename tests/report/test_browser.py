"""report.html in headless Chromium: it renders offline, charts are drawn, nothing complains."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from harness.report import write_report
from tests.browser import CHROMIUM, Browser
from tests.report.synthetic import synthetic_report

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is not installed"),
]

FACTS = """({
    svgs: document.querySelectorAll('svg.chart').length,
    lines: document.querySelectorAll('svg.chart polyline.series').length,
    faults: document.querySelectorAll('svg.chart rect.fault').length,
    verdict: document.getElementById('verdict').textContent,
    tables: document.querySelectorAll('table').length,
    width: document.querySelector('svg.chart').getBoundingClientRect().width,
    scripts: document.scripts.length,
    marks: [...document.querySelectorAll('span.mark')].map(m => m.textContent),
    text: document.body.innerText})"""


def emoji(text: str) -> set[str]:
    """Characters no font of a plain Linux box draws (emoji, pictographs, their selectors)."""
    return {
        c
        for c in text
        if ord(c) >= 0x1F000 or 0x2600 <= ord(c) <= 0x27BF or ord(c) in (0xFE0F, 0x2B55, 0x2754)
    }


def load_in_chromium(html: Path, tmp: Path) -> dict[str, Any]:
    """Open `html` over the DevTools protocol; return the DOM facts and every complaint."""
    (tmp / "profile").mkdir()
    browser = Browser(tmp / "profile")
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable")
        browser.events.clear()  # only what the report itself causes counts
        browser.open(html.as_uri())
        browser.wait_event("Page.loadEventFired")
        facts = browser.evaluate(FACTS)
        shot = browser.send("Page.captureScreenshot", format="png")["data"]
        events = list(browser.events)
    finally:
        browser.close()
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
    # six run charts (five from Prometheus, Locust's exact latency) plus one per SLO, each with
    # the fault window shaded
    assert len(report.charts) == 6
    assert facts["svgs"] == len(report.charts) + len(report.scenario.harness.slos)
    assert facts["faults"] == facts["svgs"]
    assert facts["lines"] >= 6  # Locust lines in three charts, one SLI line per judged SLO
    assert facts["width"] > 300
    assert facts["tables"] >= 6
    assert facts["scripts"] == 0
    # verdicts are text badges: readable without an emoji font (Debian's Chromium has none)
    assert emoji(facts["text"]) == set()
    assert {"passed", "failed"} <= set(facts["marks"])
    assert seen["complaints"] == []
    assert all(url.startswith("file://") for url in seen["requests"]), seen["requests"]
    assert len(seen["png"]) > 10_000  # a real picture, not a blank page
