"""The orchestrator of `harness run`: targets, timeline, fault phase, evidence, progress.

The only package that drives the others: it brings a target up (`stack`, `kube_stack`), runs
load and the chaos method on the timeline (`timeline`, `faultphase`), gathers evidence from
Prometheus and Locust, hands it to the pure judges (`harness.slo`, `harness.analysis`) and the
result to `harness.report` (`finish`).
"""
