"""Driving Argo Rollouts: the verbs a target offers, as the kubectl plugin has them.

The local target's admin client (`harness.cluster.local.client.AdminClient`) implements it, and
so does `harness.cluster.kubernetes.KubeCluster` on the `argoproj.io/v1alpha1` Rollout API. The
documents are the admin API's Rollout JSON (docs/rollouts.md: `phase`, `message`, `status`,
`revisions`, `analysisRuns`, `events`).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class RolloutControl(Protocol):
    def rollout(self, name: str) -> dict[str, Any]:
        """The Rollout's status document; `NotFound` when there is no such Rollout."""
        ...

    def rollout_action(
        self, name: str, action: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """`image` ({"image", "env", "labels"}), `promote` ({"full"}), `abort`, `retry`."""
        ...
