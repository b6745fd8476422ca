"""The kubernetes target: real chaosistio code against a fake Kubernetes API (the one edge
that cannot run here), wrapped with the ledger and a read-back."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from harness.chaos.ledger import FaultLedger
from harness.chaos.outcome import Ending
from harness.chaos.reset import reset_faults
from harness.chaos.runner import RunRequest, Target, run_experiment
from tests.chaos.conftest import Lab

ROUTES = [{"destination": {"host": "payment-service"}}]


class _Raw:
    def __init__(self, payload: Any) -> None:
        self._bytes = json.dumps(payload).encode()

    def read(self, decode_content: bool = True) -> bytes:
        return io.BytesIO(self._bytes).read()


def _api_error(status: int) -> ApiException:
    exc = ApiException(status=status, reason="refused")
    exc.headers, exc.body = {"Content-Type": "application/json"}, json.dumps({"code": status})
    return exc


class FakeIstioApi:
    """VirtualServices in memory, answering chaosistio's call_api like the API server."""

    def __init__(self, *, deny_patch: bool = False, ignore_patch: bool = False) -> None:
        self.deny_patch, self.ignore_patch = deny_patch, ignore_patch
        self.vs: dict[str, dict[str, Any]] = {
            "payment-service": {"spec": {"http": [{"route": copy.deepcopy(ROUTES)}]}}
        }

    def call_api(self, url: str, method: str, **kwargs: Any) -> tuple[_Raw, int, dict[str, str]]:
        name = url.rsplit("/", 1)[-1]
        if name not in self.vs:
            raise _api_error(404)
        if method == "PATCH":
            if self.deny_patch:
                raise _api_error(403)
            if not self.ignore_patch:
                self.vs[name]["spec"]["http"] = kwargs["body"]["spec"]["http"]
        return _Raw(self.vs[name]), 200, {}

    def fault(self) -> Any:
        return self.vs["payment-service"]["spec"]["http"][0].get("fault")


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeIstioApi:
    fake = FakeIstioApi()
    for module in ("chaosistio.fault.actions", "chaosistio.fault.probes"):
        monkeypatch.setattr(f"{module}.create_k8s_api_client", lambda *a, **k: fake)
    return fake


def _istio(func: str, **arguments: Any) -> dict[str, Any]:
    return {
        "type": "action",
        "name": func,
        "provider": {
            "type": "python",
            "module": "chaosistio.fault.actions",
            "func": func,
            "arguments": {"virtual_service_name": "payment-service", "routes": ROUTES, **arguments},
        },
    }


def _run(lab: Lab, path):
    return run_experiment(
        RunRequest(
            experiment=path, journal=lab.journal, state_dir=lab.state, target=Target.KUBERNETES
        )
    )


def _ledger(lab: Lab) -> FaultLedger:
    return FaultLedger.in_state_dir(lab.state, "kubernetes")


def test_istio_fault_is_recorded_read_back_and_rolled_back(lab: Lab, api: FakeIstioApi) -> None:
    seen: list[Any] = []
    probe = {
        "type": "probe",
        "name": "look",
        "provider": {
            "type": "python",
            "module": "tests.chaos.providers",
            "func": "echo",
            "arguments": {"value": "x"},
        },
    }
    path = lab.experiment(
        [_istio("add_abort_fault", http_status=503, percentage=50), probe],
        [_istio("remove_abort_fault")],
    )
    original = api.call_api

    def spy(url: str, method: str, **kw: Any):
        seen.append(method)
        return original(url, method, **kw)

    api.call_api = spy  # type: ignore[method-assign]
    result = _run(lab, path)
    assert result.outcome.ending is Ending.HELD, result.outcome.reason
    assert seen[:3] == ["GET", "PATCH", "GET"]  # chaosistio's get+patch, then our read-back
    assert api.fault() is None  # rolled back
    assert result.mapped[0].local == "harness.chaos.kubernetes.add_abort_fault"
    assert _ledger(lab).outstanding() == []


def test_forbidden_patch_is_not_a_succeeded_action(lab: Lab, api: FakeIstioApi) -> None:
    api.deny_patch = True  # chaosistio returns {"status": 403} instead of raising
    path = lab.experiment([_istio("add_delay_fault", fixed_delay="1s", percentage=10)], [])
    result = _run(lab, path)
    assert result.outcome.ending is Ending.INVALID
    assert "answered 403" in result.outcome.reason
    assert _ledger(lab).outstanding() == []  # refused: nothing was applied


def test_refused_removal_leaves_the_fault_outstanding(lab: Lab, api: FakeIstioApi) -> None:
    path = lab.experiment(
        [_istio("add_delay_fault", fixed_delay="1s", percentage=10)], [_istio("remove_delay_fault")]
    )
    original = api.call_api
    calls = {"patch": 0}

    def second_patch_denied(url: str, method: str, **kw: Any):
        if method == "PATCH":
            calls["patch"] += 1
            api.deny_patch = calls["patch"] > 1
        return original(url, method, **kw)

    api.call_api = second_patch_denied  # type: ignore[method-assign]
    result = _run(lab, path)
    assert result.outcome.ending is Ending.INVALID  # never "held" with a fault left behind
    assert "fault reset incomplete" in result.outcome.reason
    assert len(_ledger(lab).outstanding()) == 1  # cleanup can retry later


def test_patch_that_did_not_stick_is_caught_by_the_read_back(lab: Lab, api: FakeIstioApi) -> None:
    api.ignore_patch = True
    path = lab.experiment([_istio("add_delay_fault", fixed_delay="1s", percentage=10)], [])
    result = _run(lab, path)
    assert result.outcome.ending is Ending.INVALID
    assert "not on the VirtualService" in result.outcome.reason


def test_fault_left_by_a_killed_run_is_removed_by_cleanup(lab: Lab, api: FakeIstioApi) -> None:
    from harness.chaos.context import ChaosContext, bound
    from harness.chaos.kubernetes import add_abort_fault

    ctx = ChaosContext.for_state_dir(lab.state)
    ctx.ledger = _ledger(lab)
    with bound(ctx):  # what a run does before it is SIGKILLed: no rollback follows
        add_abort_fault("payment-service", 503, ROUTES, percentage=100)
    assert api.fault() == {"abort": {"httpStatus": 503, "percentage": {"value": 100}}}
    report = reset_faults(_ledger(lab), None)  # what cleanup / the next run does
    assert report.ok and len(report.undone) == 1
    assert api.fault() is None
