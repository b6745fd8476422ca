"""The local target's vocabulary table: Kubernetes/Istio activity → harness implementation.

Experiments keep the real chaostoolkit-kubernetes and chaostoolkit-istio module paths, so plain
`chaos run` works against a cluster. On `--target local` the runner rewrites each activity named
in `LOCAL_PROVIDERS` to the harness function with the same name and arguments, which acts on the
local cluster's admin API and the mesh's fault API. chaostoolkit-prometheus probes need no
mapping: the local target runs a real Prometheus. Any other chaosk8s/chaosistio activity is
refused on the local target (bad input), rather than silently reaching for a real cluster.

Experiment activity (module.func)                       -> harness.chaos.local...
  chaosk8s.pod.actions.terminate_pods                     -> pods.terminate_pods
  chaosk8s.pod.probes.pods_in_phase                       -> pods.pods_in_phase
  chaosk8s.pod.probes.count_pods                          -> pods.count_pods
  chaosk8s.deployment.probes.deployment_available_and_healthy
                                                          -> pods.deployment_available_and_healthy
  chaosk8s.deployment.actions.scale_deployment            -> pods.scale_deployment
  chaosistio.fault.actions.add_delay_fault                -> faults.add_delay_fault
  chaosistio.fault.actions.remove_delay_fault             -> faults.remove_delay_fault
  chaosistio.fault.actions.add_abort_fault                -> faults.add_abort_fault
  chaosistio.fault.actions.remove_abort_fault             -> faults.remove_abort_fault

The same table, with parity notes, is in docs/chaos.md.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from harness.errors import ConfigError

_POD = "harness.chaos.local.pods"
_FAULT = "harness.chaos.local.faults"

LOCAL_PROVIDERS: Mapping[tuple[str, str], tuple[str, str]] = {
    ("chaosk8s.pod.actions", "terminate_pods"): (_POD, "terminate_pods"),
    ("chaosk8s.pod.probes", "pods_in_phase"): (_POD, "pods_in_phase"),
    ("chaosk8s.pod.probes", "count_pods"): (_POD, "count_pods"),
    ("chaosk8s.deployment.probes", "deployment_available_and_healthy"): (
        _POD,
        "deployment_available_and_healthy",
    ),
    ("chaosk8s.deployment.actions", "scale_deployment"): (_POD, "scale_deployment"),
    ("chaosistio.fault.actions", "add_delay_fault"): (_FAULT, "add_delay_fault"),
    ("chaosistio.fault.actions", "remove_delay_fault"): (_FAULT, "remove_delay_fault"),
    ("chaosistio.fault.actions", "add_abort_fault"): (_FAULT, "add_abort_fault"),
    ("chaosistio.fault.actions", "remove_abort_fault"): (_FAULT, "remove_abort_fault"),
}

# On a cluster the real chaosistio fault actions run, inside a wrapper that records them in the
# ledger (with their removal as undo) and reads the VirtualService back (chaos/kubernetes.py).
_K8S = "harness.chaos.kubernetes"
KUBERNETES_PROVIDERS: Mapping[tuple[str, str], tuple[str, str]] = {
    ("chaosistio.fault.actions", f): (_K8S, f)
    for f in ("add_delay_fault", "remove_delay_fault", "add_abort_fault", "remove_abort_fault")
}

# Extensions that would talk to a real Kubernetes API: never reached from the local target.
_CLUSTER_PACKAGES = ("chaosk8s", "chaosistio")


@dataclass(frozen=True)
class Mapped:
    activity: str
    original: str
    local: str


def iter_activities(experiment: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every activity with where it sits: `steady-state-hypothesis.probes[0]`, `method[2]`, ..."""
    hypothesis = experiment.get("steady-state-hypothesis") or {}
    for i, probe in enumerate(hypothesis.get("probes") or []):
        yield f"steady-state-hypothesis.probes[{i}]", probe
    for block in ("method", "rollbacks"):
        for i, activity in enumerate(experiment.get(block) or []):
            yield f"{block}[{i}]", activity


def map_to_kubernetes(
    experiment: Mapping[str, Any], source: str
) -> tuple[dict[str, Any], list[Mapped]]:
    """A copy of `experiment` whose Istio fault actions run through the recording wrapper."""
    return _rewrite(experiment, source, KUBERNETES_PROVIDERS, refuse_cluster_calls=False)


def map_to_local(experiment: Mapping[str, Any], source: str) -> tuple[dict[str, Any], list[Mapped]]:
    """A copy of `experiment` whose Kubernetes/Istio activities call the local implementations."""
    return _rewrite(experiment, source, LOCAL_PROVIDERS, refuse_cluster_calls=True)


def _rewrite(
    experiment: Mapping[str, Any],
    source: str,
    table: Mapping[tuple[str, str], tuple[str, str]],
    *,
    refuse_cluster_calls: bool,
) -> tuple[dict[str, Any], list[Mapped]]:
    mapped_experiment = copy.deepcopy(dict(experiment))
    mapped: list[Mapped] = []
    for where, activity in iter_activities(mapped_experiment):
        provider = activity.get("provider") if isinstance(activity, dict) else None
        if not isinstance(provider, dict) or provider.get("type") != "python":
            continue
        module, func = str(provider.get("module", "")), str(provider.get("func", ""))
        target = table.get((module, func))
        if target is None:
            if refuse_cluster_calls and module.split(".")[0] in _CLUSTER_PACKAGES:
                served = ", ".join(f"{m}.{f}" for m, f in LOCAL_PROVIDERS)
                raise ConfigError(
                    source,
                    f"{where}.provider",
                    f"{module}.{func} is not served on the local target",
                    f"use one of {served}, or run with --target kubernetes",
                )
            continue
        provider["module"], provider["func"] = target
        mapped.append(
            Mapped(str(activity.get("name", where)), f"{module}.{func}", ".".join(target))
        )
    return mapped_experiment, mapped
