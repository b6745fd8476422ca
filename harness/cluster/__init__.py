"""The cluster targets: `local` (processes on this machine) and `kubernetes` (a real cluster).

Both implement the cluster interface `harness.contracts.cluster.Cluster` and answer with its
records: `harness.cluster.local.client.AdminClient` (the local controller's admin API) and
`harness.cluster.kubernetes.KubeCluster` (the Kubernetes API).
"""
