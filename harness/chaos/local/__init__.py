"""Local-target implementations of chaostoolkit-kubernetes/-istio activities (see mapping.py).

Same function names, argument names and defaults as the extensions; they act through the
`PodControl` and `FaultControl` protocols of the bound run context.
"""
