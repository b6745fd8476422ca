"""Every experiment in experiments/ validates with the real `chaos` CLI and maps locally."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.chaos.mapping import (
    KUBERNETES_PROVIDERS,
    LOCAL_PROVIDERS,
    iter_activities,
    map_to_local,
)
from harness.chaos.runner import validate_experiment
from harness.process import spawn, stop

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.yaml"))
CHAOS = Path(sys.executable).parent / "chaos"


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_issue_s_experiments_are_all_there() -> None:
    names = {p.stem for p in EXPERIMENTS}
    assert {
        "payment-latency",
        "payment-abort",
        "pod-kill-user-service",
        "pod-kill-inventory-service",
        "breaker-tripping",
    } <= names


@pytest.mark.integration
@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_chaos_validate_passes(path: Path, tmp_path: Path) -> None:
    log = tmp_path / "validate.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HARNESS_API_KEY": "validate-only"}
    proc = spawn(
        [str(CHAOS), "--no-log-file", "validate", str(path)], env=env, cwd=tmp_path, log_path=log
    )
    try:
        rc = proc.wait(timeout=60)
    finally:
        stop(proc)
    output = log.read_text(encoding="utf-8", errors="replace")
    assert rc == 0, output
    assert "look valid" in output


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_has_hypothesis_probes_through_gateway_and_metrics(path: Path) -> None:
    exp = _load(path)
    assert exp["title"] and exp["description"]
    if "steady-state-hypothesis" not in exp:
        # smoke stays fast: its `harness` extension's SLOs are its only steady state
        harness = [e for e in exp.get("extensions", []) if e.get("name") == "harness"]
        assert harness and harness[0]["slos"], "no hypothesis and no SLOs: nothing is checked"
        return
    probes = exp["steady-state-hypothesis"]["probes"]
    http = [p for p in probes if p["provider"]["type"] == "http"]
    python = [p["provider"]["module"] for p in probes if p["provider"]["type"] == "python"]
    assert all(p["provider"]["url"].startswith("${gateway_url}/api/v1/") for p in http)
    assert http or "harness.chaos.probes" in python
    assert exp["configuration"]["gateway_url"] == "http://127.0.0.1:8000"


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_every_injected_fault_has_a_rollback(path: Path) -> None:
    exp = _load(path)
    removals = {
        (a["provider"]["func"], a["provider"]["arguments"].get("virtual_service_name"))
        for a in exp.get("rollbacks", [])
    }
    for activity in exp["method"]:
        func = activity["provider"].get("func", "")
        if func.startswith("add_") and func.endswith("_fault"):
            vs = activity["provider"]["arguments"]["virtual_service_name"]
            assert ("remove_" + func[4:], vs) in removals, activity["name"]
            assert activity["provider"]["arguments"].get("percentage"), "Istio needs a percentage"
        if func in ("terminate_pods", "scale_deployment"):
            assert exp.get("rollbacks"), activity["name"]


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_local_mapping_resolves_every_activity(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exp = _load(path)
    mapped_exp, mapped = map_to_local(exp, str(path))
    for where, activity in iter_activities(mapped_exp):
        provider = activity["provider"]
        if provider["type"] != "python":
            continue
        assert provider["module"].split(".")[0] not in ("chaosk8s", "chaosistio"), where
        func = getattr(importlib.import_module(provider["module"]), provider["func"])
        params = inspect.signature(func).parameters
        assert set(provider.get("arguments", {})) <= set(params), where
    # nothing to map: then it acts through the harness's own activities (probes, load_spike,
    # rollouts)
    assert mapped or "module: harness.chaos." in path.read_text(encoding="utf-8")
    monkeypatch.setenv("HARNESS_API_KEY", "validate-only")
    validate_experiment(mapped_exp, str(path))  # chaoslib checks the local signatures too


TABLES = [("local", k, v) for k, v in LOCAL_PROVIDERS.items()] + [
    ("kubernetes", k, v) for k, v in KUBERNETES_PROVIDERS.items()
]


@pytest.mark.parametrize(
    ("table", "original", "replacement"), TABLES, ids=lambda x: x if isinstance(x, str) else x[1]
)
def test_mapped_functions_keep_the_extension_signatures(
    table: str, original: tuple[str, str], replacement: tuple[str, str]
) -> None:
    upstream = inspect.signature(getattr(importlib.import_module(original[0]), original[1]))
    module, func = replacement
    local = inspect.signature(getattr(importlib.import_module(module), func))
    assert list(local.parameters) == list(upstream.parameters)
    for name, param in upstream.parameters.items():
        assert local.parameters[name].default == param.default, name
