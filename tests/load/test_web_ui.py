"""`harness load --web` as a user meets it: Locust's own web UI, driven in headless Chromium."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pytest

from harness.process import free_port, spawn, stop, wait_for_port
from tests.browser import CHROMIUM, Browser
from tests.load.conftest import CREDENTIALS, ROOT, Target

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# The toolbar shows "RPS" with the current value in the element after its label.
RPS = """(() => {
  const label = [...document.querySelectorAll('p')].find(p => p.textContent.trim() === 'RPS');
  return label ? parseFloat(label.nextElementSibling.textContent) : null;
})()"""
STATUS = """(() => {
  const label = [...document.querySelectorAll('p')].find(p => p.textContent.trim() === 'Status');
  return label ? label.nextElementSibling.textContent.trim().toLowerCase() : null;
})()"""
BUTTON = "[...document.querySelectorAll('button')].find(b => b.textContent.trim() === '{}')"


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_web_ui_starts_a_swarm_shows_rps_and_stops(target: Target, tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "web"
    argv = [
        sys.executable,
        "-m",
        "harness",
        "load",
        "--web",
        "--web-port",
        str(port),
        "--host",
        target.url,
        "-u",
        "3",
        "-r",
        "10",
        "--out",
        str(out),
    ]
    env = {**os.environ, **CREDENTIALS, "LOAD_THINK_SCALE": "0.05"}
    harness = spawn(argv, env=env, cwd=ROOT, log_path=tmp_path / "harness.log")
    browser = None
    try:
        assert wait_for_port(port, timeout=30), (tmp_path / "harness.log").read_text()
        browser = Browser(tmp_path / "profile")
        browser.open(f"http://127.0.0.1:{port}/")
        assert browser.wait_for("!!document.querySelector('input[name=userCount]')")
        # the form is prefilled from `harness load -u 3`
        assert browser.evaluate("document.querySelector('input[name=userCount]').value") == "3"
        assert browser.wait_for(STATUS) == "ready"
        started = f"['spawning', 'running'].includes({STATUS})"
        # A click that lands while the page is still wiring its handlers (a busy 2-core CI box)
        # is lost, as it would be for a person: they click again, and so does the test, once.
        for _ in range(2):
            browser.evaluate("document.querySelector('form button[type=submit]').click()")
            if browser.wait_for(started, timeout=10):
                break
        assert browser.evaluate(started), browser.evaluate(STATUS)
        rps = browser.wait_for(
            f"(() => {{ const v = {RPS}; return v > 0 ? v : null; }})()", timeout=45
        )
        assert rps and rps > 0, (tmp_path / "harness.log").read_text()[-2000:]
        assert browser.evaluate(STATUS) in {"running", "spawning"}
        assert browser.evaluate(f"{BUTTON.format('Stop')} !== undefined")
        browser.evaluate(f"{BUTTON.format('Stop')}.click()")
        assert browser.wait_for(f"{STATUS} === 'stopped'")
    finally:
        if browser is not None:
            browser.close()
        # Ctrl-C ends a web session normally: Locust writes its CSVs, the harness its summary.
        harness.send_signal(signal.SIGINT)
        try:
            rc = harness.wait(timeout=30)
        finally:
            stop(harness)
    assert rc == 0, (tmp_path / "harness.log").read_text()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["requests"] > 0 and summary["max_users"] == 3
