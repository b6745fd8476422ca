"""Chaos Toolkit activities that drive an Argo Rollout: a release as an experiment's method.

    - type: action
      provider: {type: python, module: harness.chaos.rollouts, func: set_rollout_image,
                 arguments: {name: user-service, image: "harness/user-service:1.0.0",
                             env: {MISBEHAVE_ERROR_RATE: "0.5"}, labels: {version: v2}}}

The vocabulary is the kubectl plugin's (`set image`, `promote`, `abort`, `retry`, `status
--watch`), with chaosk8s' `ns` argument. The functions act on the bound run's cluster
(`harness.chaos.context.current()`) through `harness.contracts.rollouts.RolloutControl`, which
the local target's admin client and the kubernetes target's `KubeCluster` (the Argo API)
implement; a cluster without it gets one clear line instead of a silent no-op. (A `harness run
--target kubernetes` binds no cluster to the harness' own activities yet: they refuse there.)
A release is the system's own operation, not an injected fault: it goes into no fault ledger,
and a scenario that must leave the old version in place says so in its rollbacks
(`set_rollout_image` back to the manifest's template).
"""

from __future__ import annotations

import time
from typing import Any

from harness.chaos.context import current
from harness.contracts.rollouts import RolloutControl
from harness.errors import BadInput, CouldNotRun

PHASES = ("Healthy", "Progressing", "Paused", "Degraded")
_POLL_SECONDS = 0.5


def _control(ns: str) -> RolloutControl:
    cluster = current().cluster()
    if not isinstance(cluster, RolloutControl):
        raise CouldNotRun(
            f"this target cannot drive Argo Rollouts (namespace {ns}): rollout activities run "
            "on the local target"
        )
    return cluster


_REVISION_KEYS = ("revision", "podTemplateHash", "version", "replicas", "ready", "active",
                  "preview", "stable")  # fmt: skip


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    """What an activity returns to the journal: phase, message, revisions with their pods."""
    return {
        "phase": doc.get("phase"),
        "message": doc.get("message"),
        "revisions": [{k: r.get(k) for k in _REVISION_KEYS} for r in doc.get("revisions", ())],
    }


def set_rollout_image(
    name: str,
    image: str,
    env: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    ns: str = "default",
) -> dict[str, Any]:
    """`kubectl argo rollouts set image`: a new pod template, so a new revision starts.

    `env` and `labels` change the template's env values and pod labels as well (a harness
    extension: locally an image tag runs the same code, so a bad version is a misbehaviour
    switch). The same image with no env or labels is the manifest's template again.
    """
    body = {"image": image, "env": dict(env or {}), "labels": dict(labels or {})}
    return _summary(_control(ns).rollout_action(name, "image", body))


def promote_rollout(name: str, full: bool = False, ns: str = "default") -> dict[str, Any]:
    """`kubectl argo rollouts promote [--full]`: clears the pause (or skips every step)."""
    return _summary(_control(ns).rollout_action(name, "promote", {"full": bool(full)}))


def abort_rollout(name: str, ns: str = "default") -> dict[str, Any]:
    """`kubectl argo rollouts abort`: the active Service back on the stable revision."""
    return _summary(_control(ns).rollout_action(name, "abort"))


def retry_rollout(name: str, ns: str = "default") -> dict[str, Any]:
    """`kubectl argo rollouts retry rollout`: a new attempt after an abort."""
    return _summary(_control(ns).rollout_action(name, "retry"))


def rollout_phase(name: str, ns: str = "default") -> str:
    """A probe: the Rollout's phase (Healthy, Progressing, Paused, Degraded)."""
    return str(_control(ns).rollout(name).get("phase"))


def _old_pods_gone(doc: dict[str, Any]) -> bool:
    return all(
        r.get("stable") or (not r.get("replicas") and not r.get("ready"))
        for r in doc.get("revisions", ())
    )


def wait_for_rollout(
    name: str,
    phase: str,
    timeout: float = 120.0,
    old_pods_gone: bool = False,
    ns: str = "default",
) -> dict[str, Any]:
    """`kubectl argo rollouts status --watch` until `phase` (and, with `old_pods_gone`, until
    only the stable revision has pods: the scale-down delay passed). Any other end state
    (e.g. Degraded while waiting for Paused) or the timeout fails the activity, naming what
    the Rollout said. `set_rollout_image` and `promote_rollout` reconcile before they return,
    so the Rollout is Progressing (or already there) when this starts."""
    if phase not in PHASES:
        raise BadInput(f"phase: {phase!r} is not one of {', '.join(PHASES)}")
    control = _control(ns)
    deadline = time.monotonic() + float(timeout)
    while True:
        doc = control.rollout(name)
        now = str(doc.get("phase"))
        if now == phase and (not old_pods_gone or _old_pods_gone(doc)):
            return _summary(doc)
        if now not in (phase, "Progressing"):  # settled elsewhere: it will not get there alone
            raise CouldNotRun(
                f"Rollout {name} is {now}, not {phase}: {doc.get('message') or 'no message'}"
            )
        if time.monotonic() >= deadline:
            raise CouldNotRun(
                f"Rollout {name} still {now} after {timeout:g} s waiting for {phase}"
                + (" with the old pods gone" if old_pods_gone else "")
                + f": {doc.get('message') or 'no message'}"
            )
        time.sleep(_POLL_SECONDS)
