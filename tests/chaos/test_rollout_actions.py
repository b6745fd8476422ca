"""harness.chaos.rollouts outside the local target: one clear line, never a silent no-op.

The actions themselves run end to end in tests/run/test_release_runs.py (local target).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.chaos.context import ChaosContext, bound
from harness.chaos.rollouts import set_rollout_image, wait_for_rollout
from harness.cluster.kubernetes import KubeCluster, resolve_target
from harness.errors import BadInput, CouldNotRun
from tests.fakes.kube_api import FakeKubeApi


def test_a_target_without_rollout_verbs_refuses_with_the_reason(tmp_path: Path) -> None:
    """The FAKE Kubernetes API server: the kubernetes target has no Argo verbs yet."""
    with FakeKubeApi() as api:
        target = resolve_target(
            kubeconfig=api.kubeconfig(tmp_path / "kubeconfig"), context=None, namespace=None
        )
        with (
            KubeCluster(target) as cluster,
            bound(ChaosContext.for_state_dir(tmp_path, cluster=cluster)),
        ):
            with pytest.raises(CouldNotRun, match="cannot drive Argo Rollouts"):
                set_rollout_image("user-service", "harness/user-service:1.0.0")
            with pytest.raises(BadInput, match="'Done' is not one of Healthy"):
                wait_for_rollout("user-service", "Done")
