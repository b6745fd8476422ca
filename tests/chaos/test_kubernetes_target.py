"""The kubernetes target: real chaosistio and chaosk8s code, over real HTTP, against a FAKE
Kubernetes API server (the one edge that cannot run here); Istio faults wrapped with the ledger
and a read-back."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.chaos.ledger import FaultLedger
from harness.chaos.mapping import iter_activities
from harness.chaos.outcome import Ending
from harness.chaos.reset import reset_faults
from harness.chaos.runner import RunRequest, Target, run_experiment
from tests.chaos.conftest import Lab
from tests.cluster.kubernetes.conftest import pod, seed_sample
from tests.fakes.kube_api import ISTIO_VS, ApiError, FakeKubeApi

ROUTES = [{"destination": {"host": "payment-service"}}]
VS_KEY = (ISTIO_VS[0], ISTIO_VS[2], "default", "payment-service")


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKubeApi]:
    """The fake, and chaosk8s/chaosistio pointed at it the way `harness run` does it."""
    from kubernetes import client
    from kubernetes.config import kube_config

    from harness.cluster.kubernetes import resolve_target, use_for_chaos

    with FakeKubeApi() as fake:
        seed_sample(fake)
        spec = {"http": [{"route": copy.deepcopy(ROUTES)}]}
        fake.add_custom(
            ISTIO_VS[0], ISTIO_VS[2], {"metadata": {"name": "payment-service"}, "spec": spec}
        )
        path = fake.kubeconfig(tmp_path / "kubeconfig")
        # put back what use_for_chaos and chaosk8s's load_kube_config change process-wide
        monkeypatch.setenv("KUBECONFIG", "")
        monkeypatch.setenv("KUBERNETES_CONTEXT", "")
        monkeypatch.setattr(
            kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", kube_config.KUBE_CONFIG_DEFAULT_LOCATION
        )
        monkeypatch.setattr(client.Configuration, "_default", client.Configuration._default)
        use_for_chaos(resolve_target(kubeconfig=path, context=None, namespace=None))
        yield fake


def _fault(api: FakeKubeApi) -> Any:
    return api.custom[VS_KEY]["spec"]["http"][0].get("fault")


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


def _k8s(module: str, func: str, kind: str = "action", **arguments: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "name": func,
        "provider": {"type": "python", "module": module, "func": func, "arguments": arguments},
    }


def _run(lab: Lab, path: Path):
    return run_experiment(
        RunRequest(
            experiment=path, journal=lab.journal, state_dir=lab.state, target=Target.KUBERNETES
        )
    )


def _ledger(lab: Lab) -> FaultLedger:
    return FaultLedger.in_state_dir(lab.state, "kubernetes")


def test_istio_fault_is_recorded_read_back_and_rolled_back(lab: Lab, api: FakeKubeApi) -> None:
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
    result = _run(lab, path)
    assert result.outcome.ending is Ending.HELD, result.outcome.reason
    vs = [(m, r) for m, r in api.requests if "virtualservices" in r]
    # chaosistio's get + merge patch, then our read-back
    assert [m for m, _ in vs[:3]] == ["GET", "PATCH", "GET"]
    assert _fault(api) is None  # rolled back
    assert int(api.custom[VS_KEY]["metadata"]["resourceVersion"]) > 1
    assert result.mapped[0].local == "harness.chaos.kubernetes.add_abort_fault"
    assert _ledger(lab).outstanding() == []
    assert (lab.state / "chaos" / "ledger-kubernetes.json").exists()


def test_forbidden_patch_is_not_a_succeeded_action(lab: Lab, api: FakeKubeApi) -> None:
    api.forbid.add(("PATCH", "custom"))  # chaosistio returns {"status": 403} instead of raising
    path = lab.experiment([_istio("add_delay_fault", fixed_delay="1s", percentage=10)], [])
    result = _run(lab, path)
    assert result.outcome.ending is Ending.INVALID
    assert "answered 403" in result.outcome.reason
    assert _ledger(lab).outstanding() == []  # refused: nothing was applied


def test_refused_removal_leaves_the_fault_outstanding(lab: Lab, api: FakeKubeApi) -> None:
    path = lab.experiment(
        [_istio("add_delay_fault", fixed_delay="1s", percentage=10)], [_istio("remove_delay_fault")]
    )
    patches = {"n": 0}

    def second_patch_denied(method: str, route: str) -> None:
        if (method, route) == ("PATCH", "custom"):
            patches["n"] += 1
            if patches["n"] > 1:
                raise ApiError(403, "Forbidden", "patch denied")

    api.before = second_patch_denied
    result = _run(lab, path)
    assert result.outcome.ending is Ending.INVALID  # never "held" with a fault left behind
    assert "fault reset incomplete" in result.outcome.reason
    assert len(_ledger(lab).outstanding()) == 1  # cleanup can retry later
    assert _fault(api) == {"delay": {"fixedDelay": "1s", "percentage": {"value": 10}}}


def test_patch_that_did_not_stick_is_caught_by_the_read_back(lab: Lab, api: FakeKubeApi) -> None:
    original = copy.deepcopy(api.custom[VS_KEY])

    def forget_patches(method: str, route: str) -> None:
        if (method, route) == ("GET", "custom"):
            api.custom[VS_KEY] = copy.deepcopy(original)  # an admission hook undid it

    api.before = forget_patches
    path = lab.experiment([_istio("add_delay_fault", fixed_delay="1s", percentage=10)], [])
    result = _run(lab, path)
    assert result.outcome.ending is Ending.INVALID
    assert "not on the VirtualService" in result.outcome.reason


def test_fault_left_by_a_killed_run_is_removed_by_cleanup(
    lab: Lab, api: FakeKubeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.chaos.context import ChaosContext, bound
    from harness.chaos.kubernetes import add_abort_fault

    ctx = ChaosContext.for_state_dir(lab.state)
    ctx.ledger = _ledger(lab)
    with bound(ctx):  # what a run does before it is SIGKILLed: no rollback follows
        add_abort_fault("payment-service", 503, ROUTES, percentage=100)
    assert _fault(api) == {"abort": {"httpStatus": 503, "percentage": {"value": 100}}}
    # `harness chaos cleanup` from a shell whose KUBECONFIG names another cluster
    monkeypatch.setenv("KUBECONFIG", str(lab.root / "some-other-kubeconfig"))
    monkeypatch.setenv("KUBERNETES_CONTEXT", "prod")
    report = reset_faults(_ledger(lab), None)  # what cleanup / the next run does
    assert report.ok and len(report.undone) == 1
    assert _fault(api) is None


def test_pod_kill_runs_real_chaosk8s_against_the_api(lab: Lab, api: FakeKubeApi) -> None:
    """The vocabulary of experiments/pod-kill-inventory-service.yaml, unmapped, on the
    kubernetes target (user-service is an Argo Rollout there: chaosk8s' Deployment calls do not
    reach it)."""
    api.add_pod(pod("inventory-service-4b7c-a1", "inventory-service"))
    api.add_pod(pod("inventory-service-4b7c-b2", "inventory-service"))
    healthy = _k8s(
        "chaosk8s.deployment.probes", "deployment_available_and_healthy", "probe",
        name="inventory-service", ns="default",
    )  # fmt: skip
    healthy["tolerance"] = True
    path = lab.experiment(
        [
            _k8s(
                "chaosk8s.pod.actions", "terminate_pods", ns="default",
                label_selector="app=inventory-service,version=v1", rand=True, qty=1,
                grace_period=0,
            ),
            _k8s(
                "chaosk8s.pod.probes", "count_pods", "probe", label_selector="app=inventory-service"
            ),
        ],
        [
            _k8s(
                "chaosk8s.deployment.actions", "scale_deployment", name="inventory-service",
                replicas=2,
            )
        ],
    )  # fmt: skip
    # the hypothesis: the Deployment is available, before and after
    data = json.loads(path.read_text(encoding="utf-8"))
    data["steady-state-hypothesis"]["probes"].append(healthy)
    path.write_text(json.dumps(data), encoding="utf-8")
    result = _run(lab, path)
    assert result.outcome.ending is Ending.HELD, result.outcome.reason
    assert result.mapped == ()  # chaosk8s ran as itself, not through a local mapping
    assert len(api.deleted) == 1
    victim, grace = api.deleted[0]
    assert victim.startswith("inventory-service-4b7c-") and grace == 0
    journal = json.loads(lab.journal.read_text(encoding="utf-8"))
    assert journal["run"][0]["output"] == [victim]  # terminate_pods' own answer
    assert journal["run"][1]["output"] == 1  # the other pod is left
    scaled = [
        r for m, r in api.requests if m == "PATCH" and r.endswith("/deployments/inventory-service")
    ]
    assert scaled, "the rollback scaled the Deployment through the API"


ROOT = Path(__file__).resolve().parents[2]


def _virtual_services() -> dict[str, set[tuple[str, str | None]]]:
    routes: dict[str, set[tuple[str, str | None]]] = {}
    istio = (ROOT / "deploy" / "kubernetes" / "istio.yaml").read_text(encoding="utf-8")
    for doc in yaml.safe_load_all(istio):
        if isinstance(doc, dict) and doc.get("kind") == "VirtualService":
            found = routes.setdefault(doc["metadata"]["name"], set())
            for http in doc["spec"].get("http") or []:
                for r in http.get("route") or []:
                    found.add((r["destination"]["host"], r["destination"].get("subset")))
    return routes


@pytest.mark.parametrize(
    "path", sorted((ROOT / "experiments").glob("*.yaml")), ids=lambda p: p.stem
)
def test_istio_faults_of_shipped_experiments_land_on_a_declared_route(path: Path) -> None:
    """chaosistio puts the fault on the routes whose (host, subset) equal the ones given: a
    route the VirtualService does not declare gets nothing on a cluster (the run is invalid)."""
    declared = _virtual_services()
    experiment = yaml.safe_load(path.read_text(encoding="utf-8"))
    for where, activity in iter_activities(experiment):
        provider = activity.get("provider") or {}
        if provider.get("module") != "chaosistio.fault.actions":
            continue
        args = provider["arguments"]
        wanted = {
            (r["destination"]["host"], r["destination"].get("subset")) for r in args["routes"]
        }
        assert wanted <= declared[args["virtual_service_name"]], f"{path.name}: {where}"
