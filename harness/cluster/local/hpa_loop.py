"""The local target's HorizontalPodAutoscaler controller: every HPA of the manifests, every 15 s.

Each round, for each HPA: read the scale target's replica count and pods from the controller,
its metrics from Prometheus (`hpa_metrics`, in a worker thread so the event loop never waits on
HTTP), decide with the pure arithmetic (`harness.autoscale.decide`) and scale the target. The
last decision and a short timeline are kept for `harness status` and the admin API
(`GET /api/v1/autoscalers`), and exported under kube-state-metrics' HPA names.

Two knobs, for tests and benchmarks: the sync interval (`harness up --hpa-interval`,
`HARNESS_HPA_INTERVAL`, default 15 s) and a time scale (`--hpa-time-scale`,
`HARNESS_HPA_TIME_SCALE`, default 1): the arithmetic runs on a clock that goes that many times
faster, so the seed's 300 s scale-down window lasts 30 s at 10 (stabilisation windows, policy
periods, the CPU initialisation period; not Prometheus' rate windows).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from harness.autoscale import (
    Decision,
    History,
    HpaSpec,
    MetricError,
    ObjectSample,
    PodInfo,
    PodMetric,
    PodSamples,
    PodState,
    decide,
    milli,
    parse_hpa,
)
from harness.cluster.local import hpa_metrics
from harness.contracts.cluster import PodPhase
from harness.errors import ConfigError
from harness.manifests import read_manifests
from harness.prometheus.client import PrometheusClient

__all__ = ["DEFAULT_INTERVAL", "HpaLoop", "ScaleTarget", "TargetPod", "load_autoscalers"]

log = logging.getLogger("harness.controller.hpa")
DEFAULT_INTERVAL = 15.0  # --horizontal-pod-autoscaler-sync-period
_TIMELINE = 240  # decisions kept per HPA (an hour at 15 s)
_SCALABLE = {"Deployment", "Rollout"}
Sample = PodSamples | ObjectSample | MetricError


@dataclass(frozen=True)
class TargetPod:
    """A pod of the scale target, as the controller knows it right now."""

    name: str
    phase: PodPhase
    ready: bool
    created_at: float
    ready_changed_at: float | None


@dataclass(frozen=True)
class ScaleTarget:
    replicas: int  # spec.replicas of the target (what the HPA scales)
    pods: tuple[TargetPod, ...]


class HpaBackend(Protocol):
    """What the loop needs from the controller."""

    def scale_target(self, namespace: str, kind: str, name: str) -> ScaleTarget | None: ...
    def set_replicas(self, namespace: str, kind: str, name: str, replicas: int) -> None: ...


@dataclass(frozen=True)
class Autoscaler:
    spec: HpaSpec
    requests: dict[str, int]  # resource -> milli-units, summed over the pod's containers


def _requests(body: dict[str, Any]) -> dict[str, int]:
    """The pod's requests as the HPA sums them: every container must set one (else missing)."""
    spec = ((body.get("spec") or {}).get("template") or {}).get("spec") or {}
    containers = spec.get("containers") or []
    out: dict[str, int] = {}
    for resource in ("cpu", "memory"):
        values = [
            ((c.get("resources") or {}).get("requests") or {}).get(resource) for c in containers
        ]
        if containers and all(v is not None for v in values):
            out[resource] = sum(milli(v) for v in values)
    return out


def load_autoscalers(manifests: Path) -> list[Autoscaler]:
    """Every HorizontalPodAutoscaler in the manifests, with its target's requests."""
    docs = list(read_manifests([manifests]))
    workloads = {
        (d.kind, str((d.body.get("metadata") or {}).get("namespace") or "default"), d.name): d
        for d in docs
        if d.kind in _SCALABLE
    }
    out = []
    for d in docs:
        if d.kind != "HorizontalPodAutoscaler":
            continue
        spec = parse_hpa(d.body, d.file)
        target = workloads.get((spec.target_kind, spec.namespace, spec.target_name))
        if spec.target_kind not in _SCALABLE:
            raise ConfigError(
                d.file,
                f"HorizontalPodAutoscaler {spec.name}: spec.scaleTargetRef.kind",
                f"the local target scales Deployments and Rollouts, not {spec.target_kind}",
            )
        try:
            requests = _requests(target.body) if target is not None else {}
        except ValueError as exc:
            raise ConfigError(d.file, f"{spec.target_kind} {spec.target_name}", str(exc)) from exc
        out.append(Autoscaler(spec, requests))
    return out


def _state(phase: PodPhase) -> tuple[PodState, bool]:
    """Kubernetes' pod phase for the controller's (a crash-looping pod is Running, unready)."""
    if phase is PodPhase.PENDING:
        return PodState.PENDING, False
    if phase is PodPhase.FAILED:
        return PodState.FAILED, False
    return PodState.RUNNING, phase is PodPhase.TERMINATING


class HpaLoop:
    def __init__(
        self,
        autoscalers: Sequence[Autoscaler],
        backend: HpaBackend,
        *,
        prometheus_url: str | None,
        interval: float = DEFAULT_INTERVAL,
        time_scale: float = 1.0,
    ) -> None:
        self.autoscalers = list(autoscalers)
        self._backend = backend
        self._url = prometheus_url
        self.interval = interval
        self.time_scale = time_scale
        self._epoch = time.time()
        self._history: dict[str, History] = {}
        self.last: dict[str, Decision] = {}
        self.last_scale: dict[str, dict[str, Any]] = {}
        self.timeline: dict[str, deque[dict[str, Any]]] = {}

    def _virtual(self, t: float) -> float:
        """The arithmetic's clock: real time since start, `time_scale` times faster."""
        return self._epoch + (t - self._epoch) * self.time_scale

    async def run(self) -> None:
        client = PrometheusClient(self._url, timeout=5.0) if self._url else None
        try:
            while True:
                started = time.monotonic()
                for autoscaler in self.autoscalers:
                    try:
                        await self.reconcile(autoscaler, client)
                    except Exception:  # one broken HPA must not stop the others
                        log.exception("autoscaler %s failed", autoscaler.spec.key)
                elapsed = time.monotonic() - started
                await asyncio.sleep(max(0.0, self.interval - elapsed))
        finally:
            if client is not None:
                client.close()

    async def reconcile(self, autoscaler: Autoscaler, client: PrometheusClient | None) -> None:
        spec = autoscaler.spec
        target = self._backend.scale_target(spec.namespace, spec.target_kind, spec.target_name)
        if target is None:
            log.warning("%s: no %s %s", spec.key, spec.target_kind, spec.target_name)
            return
        names = [p.name for p in target.pods if p.phase is not PodPhase.TERMINATING]
        samples: list[Sample] = []
        for metric in spec.metrics:
            samples.append(
                await asyncio.to_thread(hpa_metrics.fetch, client, metric, spec.namespace, names)
            )
        pods = []
        for p in target.pods:
            state, deleting = _state(p.phase)
            pods.append(
                PodInfo(
                    p.name,
                    state,
                    p.ready,
                    deleting=deleting,
                    start_time=self._virtual(p.created_at),
                    ready_changed_at=None
                    if p.ready_changed_at is None
                    else self._virtual(p.ready_changed_at),
                    requests=autoscaler.requests,
                )
            )
        now = time.time()
        samples = [_rescaled(s, self._virtual, self.time_scale) for s in samples]
        decision = decide(
            spec,
            self._history.get(spec.key, History()),
            now=self._virtual(now),
            current_replicas=target.replicas,
            pods=pods,
            samples=samples,
            status_replicas=sum(1 for p in pods if not p.deleting),
        )
        self._history[spec.key] = decision.history
        if decision.rescale:
            self._backend.set_replicas(
                spec.namespace, spec.target_kind, spec.target_name, decision.desired_replicas
            )
            self.last_scale[spec.key] = {
                "time": round(now, 3),
                "from": decision.current_replicas,
                "to": decision.desired_replicas,
                "reason": decision.reason,
            }
            log.info(
                "%s: %d -> %d (%s)",
                spec.key,
                decision.current_replicas,
                decision.desired_replicas,
                decision.reason,
            )
        self.last[spec.key] = decision
        line = self.timeline.setdefault(spec.key, deque(maxlen=_TIMELINE))
        line.append(
            {
                "time": round(now, 3),
                "current": decision.current_replicas,
                "desired": decision.desired_replicas,
                "rescale": decision.rescale,
                "reason": decision.reason,
                "metrics": [m.text() for m in decision.metrics],
            }
        )

    def status_json(self) -> list[dict[str, Any]]:
        out = []
        for a in self.autoscalers:
            spec = a.spec
            d = self.last.get(spec.key)
            out.append(
                {
                    "name": spec.name,
                    "namespace": spec.namespace,
                    "target": f"{spec.target_kind}/{spec.target_name}",
                    "minReplicas": spec.min_replicas,
                    "maxReplicas": spec.max_replicas,
                    "currentReplicas": d.current_replicas if d else None,
                    "desiredReplicas": d.desired_replicas if d else None,
                    "metrics": [
                        {"name": m.metric.label, "current": m.text(), "error": m.error}
                        for m in (d.metrics if d else ())
                    ],
                    "lastDecision": None
                    if d is None
                    else {
                        "time": self.timeline[spec.key][-1]["time"],
                        "rescale": d.rescale,
                        "reason": d.reason,
                    },
                    "lastScale": self.last_scale.get(spec.key),
                    "conditions": [
                        {
                            "type": c.type,
                            "status": c.status,
                            "reason": c.reason,
                            "message": c.message,
                        }
                        for c in (d.conditions if d else ())
                    ],
                    "intervalSeconds": self.interval,
                    "timeScale": self.time_scale,
                }
            )
        return out

    def timeline_json(self) -> dict[str, list[dict[str, Any]]]:
        return {key: list(line) for key, line in self.timeline.items()}

    def kube_state(self) -> str:
        """kube-state-metrics' HPA series: the same queries chart replicas on both targets."""
        if not self.autoscalers:
            return ""
        rows: dict[str, list[str]] = {
            f"kube_horizontalpodautoscaler_{n}": []
            for n in (
                "spec_min_replicas",
                "spec_max_replicas",
                "status_current_replicas",
                "status_desired_replicas",
            )
        }
        for a in self.autoscalers:
            d = self.last.get(a.spec.key)
            labels = f'{{namespace="{a.spec.namespace}",horizontalpodautoscaler="{a.spec.name}"}}'
            values = [a.spec.min_replicas, a.spec.max_replicas]
            if d is not None:
                values += [d.current_replicas, d.desired_replicas]
            for name, value in zip(rows, values, strict=False):
                rows[name].append(f"{name}{labels} {value}")
        lines = []
        for name, series in rows.items():
            lines += [f"# TYPE {name} gauge", *series]
        return "\n".join(lines) + "\n"


def _rescaled(sample: Sample, clock: Callable[[float], float], scale: float) -> Sample:
    """Sample times and windows on the arithmetic's clock (the CPU readiness rule reads them)."""
    if not isinstance(sample, PodSamples):
        return sample
    return PodSamples(
        {
            k: PodMetric(v.value, clock(v.timestamp), v.window * scale)
            for k, v in sample.values.items()
        }
    )
