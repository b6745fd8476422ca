"""A blue-green Rollout on the local target, through `harness rollout` and a real Prometheus.

The fixture app as a Rollout (`fixtures/rollout/echo.yaml`): a revision with APP_BAD=1 fails
its pre-promotion analysis and is aborted without the active Service ever selecting it; a good
revision pauses after its analysis, is promoted, passes post-promotion analysis and the old
pods go after the scale-down delay.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.cluster.local import testing
from harness.cluster.local.client import AdminClient
from harness.contracts.promql import Vector
from harness.prometheus.client import PrometheusClient
from tests.cluster.conftest import FIXTURES, run_cli, up_args
from tests.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    state = tmp_path / "state"
    ports = testing.StackPorts.free(prometheus=True)
    assert ports.prometheus is not None
    args = up_args(
        state,
        admin=ports.admin,
        gateway=ports.gateway,
        prometheus=ports.prometheus,
        manifests=FIXTURES / "rollout",
    )
    run_cli(*args, env={"HARNESS_ROLLOUT_ANALYSIS_SCALE": "0.1"})
    try:
        yield state, ports.prometheus
    finally:
        run_cli("down", "--state-dir", str(state), check=False)


def rollout(state: Path, command: str, *args: str) -> dict[str, Any]:
    proc = run_cli("rollout", command, "echo", *args, "--json", "--state-dir", str(state))
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def scraped(prometheus: int) -> bool:
    with PrometheusClient(f"http://127.0.0.1:{prometheus}") as prom:
        value = prom.instant('count(app_bad{service="echo"})').value
    return isinstance(value, Vector) and bool(value.samples) and value.samples[0].value >= 2


def echo_pods(state: Path, service: str) -> set[str]:
    with AdminClient.from_state(state) as client:
        return {e.pod for e in client.endpoints(service=service) if e.ready}


def test_bad_revision_is_aborted_by_its_analysis_and_never_served(
    stack: tuple[Path, int],
) -> None:
    state, prometheus = stack
    first = rollout(state, "status")
    assert first["phase"] == "Healthy" and len(first["revisions"]) == 1
    v1 = first["revisions"][0]["podTemplateHash"]
    eventually(lambda: scraped(prometheus), timeout=20)
    active_before = echo_pods(state, "echo")
    rollout(state, "set-image", "harness-test/echo:2.0", "--env", "APP_BAD=1")
    seen_active: set[str] = set()

    def degraded() -> dict[str, Any] | None:
        seen_active.update(echo_pods(state, "echo"))
        r = rollout(state, "status")
        return r if r["phase"] == "Degraded" else None

    final = eventually(degraded, timeout=45, interval=0.3)
    assert final["message"].startswith(
        "RolloutAborted: Rollout aborted update to revision 2: Blue/green pre-promotion "
        'analysis phase error/failed: Metric "no-bad-pods" assessed Failed due to failed (1) '
        "> failureLimit (0)"
    )
    assert final["status"]["blueGreen"]["activeSelector"] == v1
    assert seen_active == active_before  # the active Service never selected a v2 pod
    (run,) = final["analysisRuns"]
    assert run["kind"] == "PrePromotion" and run["phase"] == "Failed"
    # the preview goes away after abortScaleDownDelaySeconds (3 s here)
    eventually(lambda: not echo_pods(state, "echo-preview"), timeout=15)
    # the watch ends on Degraded with exit 1
    proc = run_cli("rollout", "status", "echo", "--watch", "--state-dir", str(state), check=False)
    assert proc.returncode == 1 and "Degraded" in proc.stdout


def test_good_revision_pauses_is_promoted_and_the_old_pods_go(stack: tuple[Path, int]) -> None:
    state, prometheus = stack
    v1 = rollout(state, "status")["revisions"][0]["podTemplateHash"]
    eventually(lambda: scraped(prometheus), timeout=20)
    started = time.monotonic()
    r = rollout(state, "set-image", "harness-test/echo:2.0", "--label", "version=v2")
    v2 = r["status"]["currentPodHash"]
    assert v2 != v1 and r["status"]["blueGreen"]["previewSelector"] == v2

    paused = eventually(
        lambda: (x := rollout(state, "status"))["phase"] == "Paused" and x, timeout=30
    )
    assert paused["message"] == "BlueGreenPause"
    assert paused["status"]["blueGreen"]["activeSelector"] == v1
    with AdminClient.from_state(state) as client:
        preview = client.endpoints(service="echo-preview")
    assert preview and all(e.labels["rollouts-pod-template-hash"] == v2 for e in preview)
    assert all(e.labels["version"] == "v2" for e in preview)

    promoted = rollout(state, "promote")
    assert promoted["status"]["blueGreen"]["activeSelector"] == v2  # at once
    healthy = eventually(
        lambda: (x := rollout(state, "status"))["phase"] == "Healthy" and x, timeout=30
    )
    assert healthy["status"]["stableRS"] == v2
    assert [run["phase"] for run in healthy["analysisRuns"]] == ["Successful", "Successful"]
    messages = [e["message"] for e in healthy["events"]]
    assert f"Rollout completed update to revision 2 ({v2}): Completed blue-green update" in messages
    # old pods are still there until scaleDownDelaySeconds (3 s) passes, then gone
    with AdminClient.from_state(state) as client:

        def old_gone() -> bool:
            return not [
                p for p in client.pods() if p.labels.get("rollouts-pod-template-hash") == v1
            ]

        eventually(old_gone, timeout=15)
    assert time.monotonic() - started < 60
    # Prometheus tells the two sides apart by the revision label
    with PrometheusClient(f"http://127.0.0.1:{prometheus}") as prom:
        value = prom.instant(f'count(app_bad{{rollouts_pod_template_hash="{v2}"}})').value
    assert isinstance(value, Vector) and value.samples
