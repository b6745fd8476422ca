"""chaosk8s pod and deployment activities, served by the local cluster (same signatures).

They act through the cluster interface (`harness.contracts.cluster.Cluster`) of the bound run
context. `terminate_pods` reads its work back: every pod it deleted must be gone (its uid no
longer running) within the grace period plus `READBACK_SLACK_SECONDS`, else the run is invalid.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Sequence
from typing import Any

from harness.chaos.context import current
from harness.chaos.local.selectors import selector_matches
from harness.contracts.cluster import PodStatus
from harness.contracts.faults import FaultDidNotTake
from harness.errors import BadInput, CouldNotRun

READBACK_SLACK_SECONDS = 10.0
_DEFAULT_GRACE_SECONDS = 30.0


def labels_of(pod: PodStatus) -> dict[str, str]:
    """The labels a selector sees; `app` and `version` as the controller reports them, so a
    Deployment that leaves one out is still found by its service name."""
    return {"app": pod.service, "version": pod.version, **pod.labels}


def uid_of(pod: PodStatus) -> str:
    """Changes when the pod is restarted or replaced (new process, new creation time)."""
    return f"{pod.name}@{pod.created_at}:{pod.pid}"


def select_pods(
    pods: Sequence[PodStatus],
    *,
    name_pattern: str | None = None,
    all: bool = False,  # chaosk8s argument name
    rand: bool = False,
    mode: str = "fixed",
    qty: int = 1,
    order: str = "alphabetic",
    rng: random.Random | None = None,
) -> list[PodStatus]:
    """chaosk8s' choice of victims, as a pure function (alphabetic/oldest, fixed/percentage)."""
    if mode not in ("fixed", "percentage"):
        raise BadInput(f"mode: {mode!r} is not fixed or percentage")
    if order not in ("alphabetic", "oldest"):
        raise BadInput(f"order: {order!r} is not alphabetic or oldest")
    chosen = list(pods)
    if name_pattern:
        pattern = re.compile(name_pattern)
        chosen = [p for p in chosen if pattern.search(p.name)]
    if all:
        return chosen
    count = math.ceil(qty * len(chosen) / 100) if mode == "percentage" else qty
    count = max(0, min(count, len(chosen)))
    if order == "oldest":
        chosen.sort(key=lambda p: (p.created_at, p.name))
    else:
        chosen.sort(key=lambda p: p.name)
    if rand:
        return (rng or random.Random()).sample(chosen, count)
    return chosen[:count]


def _pods(label_selector: str | None, ns: str) -> list[PodStatus]:
    return [
        p
        for p in current().cluster().pods()
        if p.namespace == ns and selector_matches(label_selector, labels_of(p))
    ]


def _delete(name: str, grace: int | None) -> None:
    cluster = current().cluster()
    try:
        cluster.delete_pod(name, grace_period=grace, wait=False)
    except BadInput:
        # not found: already gone, which is what a delete wants (idempotent)
        if any(p.name == name for p in cluster.pods()):
            raise


def terminate_pods(
    label_selector: str | None = None,
    name_pattern: str | None = None,
    all: bool = False,  # chaosk8s argument name
    rand: bool = False,
    mode: str = "fixed",
    qty: int = 1,
    grace_period: int = -1,
    ns: str = "default",
    order: str = "alphabetic",
    secrets: dict[str, dict[str, str]] | None = None,
) -> list[str]:
    """Delete the selected pods (grace_period -1: the pod's own, 0: forced); their names."""
    ctx = current()
    victims = select_pods(
        _pods(label_selector, ns),
        name_pattern=name_pattern,
        all=all,
        rand=rand,
        mode=mode,
        qty=qty,
        order=order,
    )
    if not victims:
        ctx.invalidate(f"terminate_pods: no pod matches {label_selector!r} in {ns}")
        raise FaultDidNotTake(f"no pod matches label_selector {label_selector!r} in {ns}")
    grace = None if grace_period < 0 else grace_period
    for pod in victims:
        _delete(pod.name, grace)
    _read_back_deleted(victims, label_selector, ns, grace)
    return [p.name for p in victims]


def _read_back_deleted(
    victims: Sequence[PodStatus], label_selector: str | None, ns: str, grace: int | None
) -> None:
    wanted = {uid_of(p) for p in victims}
    budget = (_DEFAULT_GRACE_SECONDS if grace is None else grace) + READBACK_SLACK_SECONDS
    deadline = time.monotonic() + budget
    while True:
        alive = {uid_of(p) for p in _pods(label_selector, ns) if p.phase in ("Running", "Pending")}
        still = wanted & alive
        if not still:
            return
        if time.monotonic() >= deadline:
            names = sorted(p.name for p in victims if uid_of(p) in still)
            reason = f"terminate_pods: pods still running after {budget:.0f}s: {names}"
            current().invalidate(reason)
            raise FaultDidNotTake(reason)
        time.sleep(0.2)


def pods_in_phase(
    label_selector: str,
    phase: str = "Running",
    ns: str = "default",
    raise_on_invalid_phase: bool = True,
    secrets: dict[str, dict[str, str]] | None = None,
) -> bool:
    """True when every matching pod is in `phase`; raises (by default) when one is not."""
    pods = _pods(label_selector, ns)
    if not pods:
        raise CouldNotRun(f"no pods matching {label_selector!r} were found in {ns}")
    wrong = [f"{p.name}={p.phase}" for p in pods if p.phase != phase]
    if wrong:
        if raise_on_invalid_phase:
            raise CouldNotRun(f"pods not in phase {phase}: {', '.join(sorted(wrong))}")
        return False
    return True


def count_pods(
    label_selector: str,
    phase: str | None = None,
    ns: str = "default",
    secrets: dict[str, dict[str, str]] | None = None,
) -> int:
    """How many pods match (optionally only those in `phase`)."""
    return sum(1 for p in _pods(label_selector, ns) if phase is None or p.phase == phase)


def deployment_available_and_healthy(
    name: str,
    ns: str = "default",
    label_selector: str | None = None,
    raise_on_unavailable: bool = True,
    secrets: dict[str, dict[str, str]] | None = None,
) -> bool | None:
    """True when every desired replica of the Deployment is available."""
    found = [d for d in current().cluster().deployments() if d.name == name and d.namespace == ns]
    if not found:
        raise CouldNotRun(f"deployment {name!r} was not found in {ns}")
    status = found[0]
    if not status.available:
        if raise_on_unavailable:
            raise CouldNotRun(
                f"deployment {name!r} is not healthy: {status.ready_replicas}/"
                f"{status.replicas} available"
            )
        return False
    return True


def scale_deployment(
    name: str,
    replicas: int,
    ns: str = "default",
    secrets: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Set the desired replica count."""
    current().cluster().scale(name, int(replicas))
    return {"name": name, "replicas": int(replicas)}
