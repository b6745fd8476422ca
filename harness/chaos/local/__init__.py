"""Local-target implementations of chaostoolkit-kubernetes/-istio activities (see mapping.py).

Same function names, argument names and defaults as the extensions; they act through the
cluster interface (`harness.contracts.cluster.Cluster`) and the mesh's `FaultControl`
(`harness.contracts.faults`) of the bound run context.
"""
