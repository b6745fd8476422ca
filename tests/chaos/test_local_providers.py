"""Local chaosk8s/chaosistio activities through the runner: ledger, read-back, rollbacks.

The mesh and the cluster are the in-memory doubles from `harness.chaos.testing` (the real
clients are exercised end to end in test_local_e2e.py); everything else is the real path.
"""

from __future__ import annotations

from typing import Any

from harness.chaos.ledger import FaultLedger
from harness.chaos.outcome import Ending
from harness.chaos.runner import RunRequest, Target, run_experiment
from harness.chaos.testing import MemoryCluster, MemoryFaultControl
from harness.errors import ExitCode
from tests.chaos.conftest import Lab

ROUTES = [{"destination": {"host": "payment-service"}}]


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


def _k8s(module: str, func: str, **arguments: Any) -> dict[str, Any]:
    return {
        "type": "action",
        "name": func,
        "provider": {"type": "python", "module": module, "func": func, "arguments": arguments},
    }


def _run(lab: Lab, path, **kw: Any):
    request = RunRequest(
        experiment=path,
        journal=lab.journal,
        state_dir=lab.state,
        target=Target.LOCAL,
        fault_ttl_seconds=60,
    )
    return run_experiment(request, **kw)


def test_delay_fault_is_recorded_applied_read_back_and_rolled_back(lab: Lab) -> None:
    mesh = MemoryFaultControl()
    path = lab.experiment(
        [_istio("add_delay_fault", fixed_delay="500ms", percentage=10)],
        [_istio("remove_delay_fault")],
    )
    result = _run(lab, path, faults=mesh)
    assert result.outcome.ending is Ending.HELD, result.outcome.reason
    assert mesh.active() == []
    applied = lab.journal_data()["run"][0]["output"]
    assert applied["fault"]["delay"] == {"fixedDelay": "500ms", "percentage": {"value": 10.0}}
    assert 0 < applied["expires_in_seconds"] <= 60
    fault_id = applied["fault_id"]
    assert mesh.calls[0] == f"apply {fault_id}" and f"remove {fault_id}" in mesh.calls
    assert [m.original for m in result.mapped] == [
        "chaosistio.fault.actions.add_delay_fault",
        "chaosistio.fault.actions.remove_delay_fault",
    ]
    assert FaultLedger.in_state_dir(lab.state).outstanding() == []


def test_fault_that_does_not_take_makes_the_run_invalid(lab: Lab) -> None:
    mesh = MemoryFaultControl(drop_applies=True)
    path = lab.experiment(
        [_istio("add_abort_fault", http_status=503, percentage=50)], [_istio("remove_abort_fault")]
    )
    result = _run(lab, path, faults=mesh)
    assert result.outcome.ending is Ending.INVALID
    assert result.outcome.exit_code is ExitCode.COULD_NOT_JUDGE
    assert "not active after apply" in result.outcome.reason
    assert "clear" in mesh.calls  # the full reset still ran
    assert FaultLedger.in_state_dir(lab.state).outstanding() == []


def test_fault_without_percentage_is_refused_as_istio_would_never_fire_it(lab: Lab) -> None:
    mesh = MemoryFaultControl()
    path = lab.experiment([_istio("add_delay_fault", fixed_delay="1s")], [])
    result = _run(lab, path, faults=mesh)
    assert result.outcome.ending is Ending.INVALID
    assert "no percentage" in result.outcome.reason
    assert mesh.calls == ["clear"]


def test_pod_kill_reads_back_the_replacement(lab: Lab) -> None:
    cluster = MemoryCluster()
    for i in range(3):
        cluster.add(f"user-service-{i}", {"app": "user-service"})
    cluster.add("order-service-0", {"app": "order-service"})
    kill = _k8s(
        "chaosk8s.pod.actions",
        "terminate_pods",
        label_selector="app=user-service",
        qty=1,
        order="oldest",
    )
    path = lab.experiment([kill], [])
    result = _run(lab, path, cluster=cluster)
    assert result.outcome.ending is Ending.HELD, result.outcome.reason
    assert cluster.deleted == ["user-service-0"]
    assert lab.journal_data()["run"][0]["output"] == ["user-service-0"]


def test_pod_that_does_not_die_makes_the_run_invalid(lab: Lab, monkeypatch) -> None:
    from harness.chaos.local import pods

    monkeypatch.setattr(pods, "READBACK_SLACK_SECONDS", 0.3)
    cluster = MemoryCluster(undying=True)
    cluster.add("inventory-service-0", {"app": "inventory-service"})
    kill = _k8s(
        "chaosk8s.pod.actions",
        "terminate_pods",
        label_selector="app=inventory-service",
        all=True,
        grace_period=0,
    )
    result = _run(lab, lab.experiment([kill], []), cluster=cluster)
    assert result.outcome.ending is Ending.INVALID
    assert "still running" in result.outcome.reason


def test_unserved_cluster_activity_is_bad_input_on_the_local_target(lab: Lab) -> None:
    import pytest

    from harness.errors import ConfigError

    drain = _k8s("chaosk8s.node.actions", "drain_nodes", name="node-1")
    with pytest.raises(ConfigError, match="not served on the local target"):
        _run(lab, lab.experiment([drain], []))
