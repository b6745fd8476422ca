"""The kubernetes target: a real cluster through the Kubernetes API (official Python client).

`connection` resolves kubeconfig, context and namespace; `cluster` implements
`harness.contracts.cluster.Cluster` over the API; `convert` turns API objects into the shared
records; `preflight` checks the sample system is deployed and available before a run.
"""

from __future__ import annotations

from harness.cluster.kubernetes.cluster import KubeCluster
from harness.cluster.kubernetes.connection import KubeTarget, resolve_target, use_for_chaos
from harness.cluster.kubernetes.preflight import preflight, required_workloads

__all__ = [
    "KubeCluster",
    "KubeTarget",
    "preflight",
    "required_workloads",
    "resolve_target",
    "use_for_chaos",
]
