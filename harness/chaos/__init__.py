"""Chaos Toolkit runs: the runner, the fault ledger, and the actions served on the local target.

`harness.chaos.local` answers the chaostoolkit-kubernetes and chaostoolkit-istio vocabulary on the
local target; `harness.chaos.kubernetes` adds what the kubernetes target needs. docs/chaos.md
says what each action does.
"""
