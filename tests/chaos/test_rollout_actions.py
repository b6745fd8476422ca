"""harness.chaos.rollouts on a cluster: the same activities through the Argo Rollouts API.

Against the FAKE Kubernetes API server (it stores patches, it runs no Argo controller). The
activities run end to end on the local target in tests/run/test_release_runs.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.chaos.context import ChaosContext, bound
from harness.chaos.rollouts import abort_rollout, rollout_phase, wait_for_rollout
from harness.cluster.kubernetes import KubeCluster, resolve_target
from harness.errors import BadInput, CouldNotRun
from tests.fakes.kube_api import ROLLOUTS, FakeKubeApi


def test_rollout_activities_act_on_a_cluster_through_the_argo_api(tmp_path: Path) -> None:
    with FakeKubeApi(crds=[ROLLOUTS, ("argoproj.io", "v1alpha1", "analysisruns")]) as api:
        api.add_custom(
            "argoproj.io",
            "rollouts",
            {
                "metadata": {"name": "user-service"},
                "spec": {"replicas": 2, "strategy": {"blueGreen": {"activeService": "u"}}},
                "status": {"phase": "Paused", "message": "BlueGreenPause"},
            },
        )
        target = resolve_target(
            kubeconfig=api.kubeconfig(tmp_path / "kubeconfig"), context=None, namespace=None
        )
        with (
            KubeCluster(target) as cluster,
            bound(ChaosContext.for_state_dir(tmp_path, cluster=cluster)),
        ):
            assert rollout_phase("user-service") == "Paused"
            abort_rollout("user-service")  # the plugin's status patch
            with pytest.raises(CouldNotRun, match="is Paused, not Healthy: BlueGreenPause"):
                wait_for_rollout("user-service", "Healthy", timeout=5)
            with pytest.raises(BadInput, match="'Done' is not one of Healthy"):
                wait_for_rollout("user-service", "Done")
        status = api.custom[("argoproj.io", "rollouts", "default", "user-service")]["status"]
        assert status["abort"] is True
