"""`harness validate` on HorizontalPodAutoscalers: what the API server or the controller refuses.

* the spec as `autoscaling/v2` reads it (`harness.autoscale.parse_hpa`: fields, ranges, metric
  and policy types), one error naming the field;
* `scaleTargetRef` must name a Deployment or Rollout in the manifests, else the controller
  reports `FailedGetScale` forever (the seed's `user-service-rollout`);
* a Utilization target needs that request on every container of the target, else every
  reconcile fails with `missing request for cpu` and the metric never counts.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.autoscale import SourceType, TargetType, parse_hpa
from harness.errors import ConfigError
from harness.manifests import Document
from harness.mesh.findings import Finding, Severity

__all__ = ["autoscaler_findings"]

E = Severity.ERROR
_SCALABLE = ("Deployment", "Rollout", "StatefulSet", "ReplicaSet")


def _namespace(d: Document) -> str:
    meta = d.body.get("metadata")
    return str(meta.get("namespace") or "default") if isinstance(meta, dict) else "default"


def autoscaler_findings(documents: Iterable[Document]) -> Iterable[Finding]:
    docs = list(documents)
    targets = {(d.kind, _namespace(d), d.name): d for d in docs if d.kind in _SCALABLE}
    for d in docs:
        if d.kind != "HorizontalPodAutoscaler":
            continue
        try:
            spec = parse_hpa(d.body, d.file)
        except ConfigError as exc:
            field = exc.field.split(": ", 1)[-1]
            yield Finding(E, d.file, d.ref, field, exc.problem, exc.fix or "fix the field")
            continue
        target = targets.get((spec.target_kind, spec.namespace, spec.target_name))
        if target is None:
            yield Finding(
                E,
                d.file,
                d.ref,
                "spec.scaleTargetRef",
                f"no {spec.target_kind} {spec.target_name!r} in namespace {spec.namespace} in "
                "these manifests: the HPA would report FailedGetScale",
                "name the workload it scales (kind and name)",
            )
            continue
        pod = ((target.body.get("spec") or {}).get("template") or {}).get("spec") or {}
        containers = [c for c in pod.get("containers") or [] if isinstance(c, dict)]
        for i, m in enumerate(spec.metrics):
            if m.type is not SourceType.RESOURCE or m.target.type is not TargetType.UTILIZATION:
                continue
            for c in containers:
                requests = (c.get("resources") or {}).get("requests") or {}
                if m.name not in requests:
                    yield Finding(
                        E,
                        d.file,
                        d.ref,
                        f"spec.metrics[{i}].resource",
                        f"{m.name} utilisation of {target.ref}, whose container "
                        f"{c.get('name')!r} requests no {m.name}: every reconcile fails with "
                        f"'missing request for {m.name}'",
                        f"set resources.requests.{m.name} on every container of {target.ref}",
                    )
