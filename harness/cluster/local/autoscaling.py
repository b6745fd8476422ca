"""The controller's side of the autoscaler: its workloads as scale targets, its pods' usage.

Kept out of `controller.py` so the controller only starts the loop and routes two endpoints:
`LocalScaleTargets` answers the HPA loop's questions from the controller's records (replicas,
pods, readiness times) and scales through the controller's own `scale`, exactly as
`POST /api/v1/deployments/NAME/scale` does; `container_refs` names each pod's process group
for the cAdvisor export.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from harness.cluster.local.cadvisor import ContainerRef
from harness.cluster.local.hpa_loop import (
    DEFAULT_INTERVAL,
    HpaLoop,
    ScaleTarget,
    TargetPod,
    load_autoscalers,
)
from harness.cluster.local.objects import Deployment
from harness.cluster.local.pod import Pod
from harness.cluster.local.rollouts import Rollouts
from harness.contracts.durations import HARNESS_UNITS, Dialect, NotADuration, parse
from harness.errors import BadInput

__all__ = ["HpaLoop", "LocalScaleTargets", "container_refs", "start_loop"]

log = logging.getLogger("harness.controller.hpa")
INTERVAL_ENV = "HARNESS_HPA_INTERVAL"
TIME_SCALE_ENV = "HARNESS_HPA_TIME_SCALE"


class _Workloads(Protocol):
    by_key: dict[str, Deployment]
    desired: dict[str, int]
    rollouts: Rollouts
    pods: dict[str, Pod]

    def scale(self, name: str, replicas: int) -> dict[str, Any]: ...


class LocalScaleTargets:
    """`HpaBackend` over the controller: Deployments (and Rollouts) by namespace and name."""

    def __init__(self, controller: _Workloads) -> None:
        self._c = controller

    def _key(self, namespace: str, name: str) -> str | None:
        key = f"{namespace}/{name}"
        return key if key in self._c.by_key else None

    def _rollout(self, namespace: str, name: str) -> str | None:
        ro = self._c.rollouts.items.get(name)
        return ro.key if ro is not None and ro.base.namespace == namespace else None

    def scale_target(self, namespace: str, kind: str, name: str) -> ScaleTarget | None:
        key = self._key(namespace, name)
        if key is not None:
            dep = self._c.by_key[key]
            replicas = self._c.desired[key]

            def mine(p: Pod) -> bool:
                return p.plan.deployment is dep
        else:
            rollout = self._rollout(namespace, name)
            if rollout is None:
                return None
            # Argo's scale subresource: spec.replicas, and every pod of every revision (the
            # HPA's selector is the Rollout's, so preview pods count as on a cluster)
            replicas = self._c.rollouts.items[name].replicas
            prefix = rollout + "@"  # revisions are keyed <ns>/<name>@<hash>

            def mine(p: Pod) -> bool:
                d = p.plan.deployment
                return d.rollout is not None and f"{d.namespace}/{d.name}@".startswith(prefix)

        pods = tuple(
            TargetPod(p.name, p.phase, p.ready, p.created_at, p.ready_changed_at)
            for p in sorted(self._c.pods.values(), key=lambda p: p.name)
            if mine(p)
        )
        return ScaleTarget(replicas, pods)

    def set_replicas(self, namespace: str, kind: str, name: str, replicas: int) -> None:
        if self._key(namespace, name) is not None or self._rollout(namespace, name) is not None:
            self._c.scale(name, replicas)


def container_refs(pods: Iterable[Pod]) -> list[ContainerRef]:
    out = []
    for p in pods:
        dep = p.plan.deployment
        pid = p.proc.pid if p.proc is not None and p.proc.returncode is None else None
        out.append(
            ContainerRef(dep.namespace, p.name, dep.container.name, dep.container.image, pid)
        )
    return out


def _number(value: str | float | None, setting: str, default: float, *, duration: bool) -> float:
    """A positive number (`1.5`), or with `duration` also `2s`, `500ms`; BadInput otherwise."""
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        if not duration:
            raise BadInput(f"{setting}: not a number: {value!r}") from None
        try:
            number = parse(str(value).strip(), Dialect(HARNESS_UNITS))
        except NotADuration:
            raise BadInput(f"{setting}: {value!r} is not a duration such as 15s or 500ms") from None
    if not number > 0:
        raise BadInput(f"{setting}: must be positive, got {value!r}")
    return number


def start_loop(
    controller: _Workloads,
    manifests: Path,
    *,
    prometheus_url: str | None,
    interval: str | float | None = None,
    time_scale: str | float | None = None,
    env: Mapping[str, str] = os.environ,
) -> HpaLoop | None:
    """The HPA loop for the manifests' HorizontalPodAutoscalers (None when there are none).

    Interval and time scale: the argument, else `HARNESS_HPA_INTERVAL` /
    `HARNESS_HPA_TIME_SCALE`, else 15 s and 1.
    """
    autoscalers = load_autoscalers(manifests)
    if not autoscalers:
        return None
    every = _number(
        interval if interval is not None else env.get(INTERVAL_ENV),
        f"--hpa-interval or {INTERVAL_ENV}",
        DEFAULT_INTERVAL,
        duration=True,
    )
    scale = _number(
        time_scale if time_scale is not None else env.get(TIME_SCALE_ENV),
        f"--hpa-time-scale or {TIME_SCALE_ENV}",
        1.0,
        duration=False,
    )
    log.info("autoscaling %d HPA(s) every %gs (time scale %g)", len(autoscalers), every, scale)
    return HpaLoop(
        autoscalers,
        LocalScaleTargets(controller),
        prometheus_url=prometheus_url,
        interval=every,
        time_scale=scale,
    )
