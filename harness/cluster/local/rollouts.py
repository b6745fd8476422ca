"""Argo Rollouts (blue-green) on the local target: the pure state machine applied to pods.

Each revision of a Rollout is a ReplicaSet: a `Deployment` record keyed `<ns>/<name>@<hash>` in
the controller, its pods labelled `rollouts-pod-template-hash: <hash>` and named
`<rollout>-<hash>-<suffix>` as on a cluster. `harness.rollout.bluegreen.settle` decides; this
module applies it: desired pods per revision, the active and preview Services' selectors (the
hash Argo adds to them), the analysis runs (`rollout_runs`), the scale-down deadlines.

It reconciles on every pod readiness change and user action, and on a timer while something is
pending (an analysis, a deadline); an idle Rollout costs a wake-up every few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from harness.cluster.local.objects import Deployment, EnvVar, Service
from harness.cluster.local.podspec import PodCommand
from harness.cluster.local.rollout_runs import LocalRun, start_run, stop_run
from harness.contracts.cluster import DeploymentStatus
from harness.errors import BadInput
from harness.rollout import (
    POD_TEMPLATE_HASH,
    ReplicaSet,
    Rollout,
    RolloutStatus,
    RunKind,
    abort,
    phase,
    promote,
    retry,
    settle,
)

if TYPE_CHECKING:
    from harness.cluster.local.pod import Pod
    from harness.cluster.local.stack import Stack


class Controller(Protocol):
    """What the Rollouts loop uses of the controller (`controller.Controller`) that runs it.

    A protocol, not an import: the controller owns the Rollouts, so importing it back would be
    a cycle.
    """

    stack: Stack
    pods: dict[str, Pod]
    desired: dict[str, int]
    by_key: dict[str, Deployment]

    @staticmethod
    def _key(d: Deployment) -> str: ...

    def _reconcile(self, key: str) -> None: ...

    def services_changed(self, names: list[str], namespace: str) -> None: ...


log = logging.getLogger("harness.rollouts")
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
# analysis intervals (and the 10 s error retry) are multiplied by this; delays are not
SCALE_ENV = "HARNESS_ROLLOUT_ANALYSIS_SCALE"


@dataclass(frozen=True)
class TemplatePatch:
    """What `set-image` changes in the pod template: the image, env values, labels."""

    image: str
    env: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> TemplatePatch:
        image = body.get("image")
        if not isinstance(image, str) or not image:
            raise BadInput('body must be {"image": "<repository>:<tag>", "env": {}, "labels": {}}')
        env = body.get("env") or {}
        labels = body.get("labels") or {}
        if not isinstance(env, dict) or not isinstance(labels, dict):
            raise BadInput("env and labels must be mappings of strings")
        return cls(
            image,
            tuple(sorted((str(k), str(v)) for k, v in env.items())),
            tuple(sorted((str(k), str(v)) for k, v in labels.items())),
        )


def _hash(base: str, patch: TemplatePatch | None) -> str:
    if patch is None:
        return base
    text = json.dumps([base, patch.image, patch.env, patch.labels]).encode()
    number = int(hashlib.sha256(text).hexdigest()[:16], 16)
    out = []
    for _ in range(10):
        number, rest = divmod(number, len(_ALPHABET))
        out.append(_ALPHABET[rest])
    return "".join(out)


@dataclass
class Revision:
    deployment: Deployment  # the ReplicaSet's pod template, with the hash label
    command: PodCommand
    revision: int
    scale_down_at: float | None = None


@dataclass
class LocalRollout:
    base: Deployment
    replicas: int
    template: Deployment  # what the spec asks for now
    status: RolloutStatus = field(default_factory=RolloutStatus)
    revisions: dict[str, Revision] = field(default_factory=dict)
    runs: dict[str, LocalRun] = field(default_factory=dict)
    events: list[tuple[float, str]] = field(default_factory=list)
    patch: TemplatePatch | None = None

    @property
    def key(self) -> str:
        return f"{self.base.namespace}/{self.base.name}"

    def rk(self, h: str) -> str:
        return f"{self.key}@{h}"


class Rollouts:
    """Every Rollout of the stack, driven inside the controller's event loop."""

    def __init__(self, controller: Controller, deployments: Iterable[Deployment]) -> None:
        self.c = controller
        self.items: dict[str, LocalRollout] = {}
        for d in deployments:
            if d.rollout is not None:
                tmpl = self._revision_template(d, d.template_hash)
                self.items[d.name] = LocalRollout(d, d.replicas, tmpl)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.time_scale = float(os.environ.get(SCALE_ENV, "1") or 1)

    # ---- what the controller asks ----------------------------------------------------------

    def command(self, dep: Deployment) -> PodCommand:
        ro = self.items[dep.name]
        return ro.revisions[dep.template_hash].command

    def services(self, services: Iterable[Service]) -> list[Service]:
        """The Services with the hash Argo puts into the active and preview selectors."""
        managed: dict[tuple[str, str], str] = {}
        for ro in self.items.values():
            bg, st, ns = ro.base.rollout, ro.status, ro.base.namespace
            assert bg is not None
            managed[(ns, bg.active_service)] = st.active_selector
            if bg.preview_service:
                managed[(ns, bg.preview_service)] = st.preview_selector
        out = []
        for svc in services:
            h = managed.get((svc.namespace, svc.name))
            if h is None:
                out.append(svc)
            else:  # no hash yet (nothing ready on first deploy): selects nothing, as on a cluster
                out.append(replace(svc, selector={**svc.selector, POD_TEMPLATE_HASH: h or "-"}))
        return out

    def deployments(self) -> list[DeploymentStatus]:
        """A Rollout as one workload: spec replicas against ready pods behind the active Service."""
        out = []
        for ro in self.items.values():
            active = ro.status.active_selector
            ready = self._available(ro, active) if active else 0
            out.append(DeploymentStatus(ro.base.name, ro.base.namespace, ro.replicas, ready))
        return out

    def scale(self, name: str, replicas: int) -> bool:
        ro = self.items.get(name)
        if ro is None:
            return False
        ro.replicas = replicas
        self.wake()
        return True

    def wake(self) -> None:
        self._wake.set()

    # ---- user actions (admin API) ----------------------------------------------------------

    def get(self, name: str) -> LocalRollout:
        ro = self.items.get(name)
        if ro is None:
            from harness.cluster.local.admin import HttpError

            raise HttpError(404, f"no Rollout named {name!r}")
        return ro

    def act(self, name: str, action: str, body: Mapping[str, Any]) -> dict[str, Any]:
        ro = self.get(name)
        if action == "image":
            patch = TemplatePatch.from_json(body)
            if patch.image.rsplit(":", 1)[0] != ro.base.container.image_repository:
                raise BadInput(
                    f"the local target runs images by repository: keep "
                    f"{ro.base.container.image_repository} and change the tag"
                )
            stable = ro.status.stable_rs
            h = _hash(ro.base.template_hash, patch if patch.image != ro.base.container.image
                      or patch.env or patch.labels else None)  # fmt: skip
            ro.patch = patch
            ro.template = self._revision_template(ro.base, h, patch)
            self._note(ro, f"set image {patch.image} (template {h}, stable {stable})")
        elif action == "promote":
            ro.status = promote(ro.status, full=bool(body.get("full")))
        elif action == "abort":
            ro.status = abort(ro.status)
        elif action == "retry":
            if not ro.status.abort:
                raise BadInput(f"Rollout {name} is not aborted")
            ro.status = retry(ro.status)
        else:
            raise BadInput(f"unknown action {action!r}")
        self._reconcile(ro)
        return self.to_json(ro)

    # ---- the loop --------------------------------------------------------------------------

    def start(self) -> None:
        for ro in self.items.values():
            self._reconcile(ro)
        self._task = asyncio.ensure_future(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for ro in self.items.values():
            await asyncio.gather(*(stop_run(r) for r in ro.runs.values()))

    async def _loop(self) -> None:
        while True:
            busy = any(self._pending(ro) for ro in self.items.values())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.25 if busy else 5.0)
            self._wake.clear()
            for ro in self.items.values():
                try:
                    self._reconcile(ro)
                except Exception:
                    log.exception("rollout %s: reconcile failed", ro.base.name)

    def _pending(self, ro: LocalRollout) -> bool:
        running = any(not r.phase.completed for r in ro.runs.values())
        deadlines = any(r.scale_down_at is not None for r in ro.revisions.values())
        return running or deadlines or ro.status.current_pod_hash != ro.template.template_hash

    # ---- one reconcile ---------------------------------------------------------------------

    def _revision_template(
        self, base: Deployment, h: str, patch: TemplatePatch | None = None
    ) -> Deployment:
        labels = {**base.labels, **dict(patch.labels if patch else ()), POD_TEMPLATE_HASH: h}
        container = base.container
        if patch is not None:
            env = tuple(v for v in container.env if v.name not in dict(patch.env))
            env += tuple(EnvVar(k, value=v) for k, v in patch.env)
            container = replace(container, image=patch.image, env=env)
        return replace(base, labels=labels, container=container, template_hash=h)

    def _available(self, ro: LocalRollout, h: str) -> int:
        key = ro.rk(h)
        return sum(
            1
            for p in self.c.pods.values()
            if p.ready and not p.terminating and self.c._key(p.plan.deployment) == key
        )

    def _reconcile(self, ro: LocalRollout) -> None:
        bg = ro.base.rollout
        assert bg is not None
        now = time.time()
        rss = {
            h: ReplicaSet(h, r.revision, self.c.desired.get(ro.rk(h), 0),
                          self._available(ro, h), r.scale_down_at)
            for h, r in ro.revisions.items()
        }  # fmt: skip
        runs = {name: r.status() for name, r in ro.runs.items()}
        spec = Rollout(ro.base.name, ro.replicas, bg, ro.template.template_hash)
        before = (ro.status.active_selector, ro.status.preview_selector)
        for d in settle(spec, ro.status, rss, runs, now):
            if d.create is not None:
                self._create(ro, d.create)
            for h, at in d.scale_down_at.items():
                ro.revisions[h].scale_down_at = at
            for h, n in d.replicas.items():
                self.c.desired[ro.rk(h)] = n
                self.c._reconcile(ro.rk(h))
            for run in d.start_runs:
                self._start(ro, run)
            for name in d.terminate_runs:
                ro.runs[name].stop.set()  # the run's thread terminates it
            for message in d.events:
                self._note(ro, message)
            ro.status = d.status
        after = (ro.status.active_selector, ro.status.preview_selector)
        if after != before:
            names = [bg.active_service, bg.preview_service or ""]
            changed = []
            for svc, was, now_h in zip(names, before, after, strict=True):
                if now_h != was and svc:
                    changed.append(svc)
                    self._note(ro, f"Service {svc} selects {POD_TEMPLATE_HASH}={now_h}")
            self.c.services_changed(changed, ro.base.namespace)

    def _create(self, ro: LocalRollout, rs: ReplicaSet) -> None:
        dep = ro.template
        base_command = self.c.stack.commands[ro.key]
        env = {**base_command.env, **dict(ro.patch.env if ro.patch else ())}
        if ro.patch is not None and "SERVICE_VERSION" not in env:
            env["SERVICE_VERSION"] = dep.version or "v1"
        ro.revisions[rs.hash] = Revision(dep, replace(base_command, env=env), rs.revision)
        self.c.by_key[ro.rk(rs.hash)] = dep
        self.c.desired[ro.rk(rs.hash)] = 0

    def _start(self, ro: LocalRollout, run: Any) -> None:
        bg = ro.base.rollout
        assert bg is not None
        ref = bg.pre_promotion if run.kind is RunKind.PRE else bg.post_promotion
        assert ref is not None
        prom = f"http://127.0.0.1:{self.c.stack.ports.prometheus}"
        ro.runs[run.name] = start_run(
            run,
            ref,
            manifests=self.c.stack.options.manifests,
            namespace=ro.base.namespace,
            prometheus=prom,
            time_scale=self.time_scale,
        )

    def _note(self, ro: LocalRollout, message: str) -> None:
        ro.events.append((time.time(), message))
        log.info("rollout %s: %s", ro.base.name, message)

    # ---- JSON ------------------------------------------------------------------------------

    def to_json(self, ro: LocalRollout) -> dict[str, Any]:
        bg = ro.base.rollout
        assert bg is not None
        ph, message = phase(
            ro.status, replicas=ro.replicas, post_analysis=bg.post_promotion is not None
        )
        revisions = []
        for h, r in sorted(ro.revisions.items(), key=lambda kv: kv[1].revision):
            revisions.append(
                {
                    "podTemplateHash": h,
                    "revision": r.revision,
                    "image": r.deployment.container.image,
                    "version": r.deployment.version,
                    "replicas": self.c.desired.get(ro.rk(h), 0),
                    "ready": self._available(ro, h),
                    "scaleDownAt": r.scale_down_at,
                    "active": h == ro.status.active_selector,
                    "preview": h == ro.status.preview_selector,
                    "stable": h == ro.status.stable_rs,
                }
            )
        return {
            "name": ro.base.name,
            "namespace": ro.base.namespace,
            "phase": str(ph),
            "message": message,
            "replicas": ro.replicas,
            "activeService": bg.active_service,
            "previewService": bg.preview_service,
            "status": ro.status.to_json(),
            "revisions": revisions,
            "analysisRuns": [r.to_json() for r in ro.runs.values()],
            "events": [{"time": t, "message": m} for t, m in ro.events],
        }

    def all_json(self) -> list[dict[str, Any]]:
        return [self.to_json(ro) for ro in self.items.values()]
