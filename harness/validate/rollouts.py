"""Argo Rollout lints that join a blue-green Rollout with the objects it names (`harness validate`).

A Rollout whose active or preview Service does not exist never becomes available (Argo keeps it
`Degraded`, "service not found"); an analysis naming a missing AnalysisTemplate, or one that
leaves a template argument without a value, is an AnalysisRun `Error` the moment it starts,
which aborts the rollout (`args.<name> was not resolved`, semantics.md 1.2). A Service or
template outside the linted paths may exist on the cluster, so a missing one is a warning; an
argument missing from a template that is in the paths is an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from harness.manifests import Document
from harness.mesh.findings import Finding, Severity

E, W = Severity.ERROR, Severity.WARNING
_ANALYSES = ("prePromotionAnalysis", "postPromotionAnalysis")


def _ns(d: Document) -> str:
    meta = d.body.get("metadata") or {}
    return str(meta.get("namespace") or "default") if isinstance(meta, dict) else "default"


def _name(d: Document) -> str:
    meta = d.body.get("metadata") or {}
    return str(meta.get("name") or "") if isinstance(meta, dict) else ""


def _required_args(template: Document) -> list[str]:
    spec = template.body.get("spec") or {}
    out = []
    for a in (spec.get("args") or []) if isinstance(spec, dict) else []:
        if isinstance(a, dict) and "value" not in a and "valueFrom" not in a and a.get("name"):
            out.append(str(a["name"]))
    return out


def _analysis_findings(
    d: Document, field: str, ref: Any, templates: Mapping[tuple[str, str], Document]
) -> Iterable[Finding]:
    if not isinstance(ref, dict):
        return
    given = {str(a.get("name")) for a in ref.get("args") or [] if isinstance(a, dict)}
    for i, t in enumerate(ref.get("templates") or []):
        if not isinstance(t, dict) or t.get("clusterScope"):
            continue  # a ClusterAnalysisTemplate lives outside any namespace's manifests
        name = str(t.get("templateName") or "")
        where = f"{field}.templates[{i}].templateName"
        template = templates.get((_ns(d), name))
        if template is None:
            yield Finding(
                W, d.file, d.ref, where,
                f"no AnalysisTemplate named {name!r} in these manifests: the analysis run is "
                "Error at once and Argo aborts the rollout",
                "name an AnalysisTemplate of the Rollout's namespace",
            )  # fmt: skip
            continue
        for arg in _required_args(template):
            if arg not in given:
                yield Finding(
                    E, d.file, d.ref, f"{field}.args",
                    f"AnalysisTemplate {name} needs argument {arg!r} and the Rollout does not "
                    f"pass it: the run is Error (args.{arg} was not resolved) and Argo aborts "
                    "the rollout",
                    f"add {{name: {arg}, value: ...}} to {field}.args",
                )  # fmt: skip


def rollout_findings(documents: list[Document]) -> Iterable[Finding]:
    services = {(_ns(d), _name(d)) for d in documents if d.kind == "Service"}
    templates = {(_ns(d), _name(d)): d for d in documents if d.kind == "AnalysisTemplate"}
    for d in documents:
        if d.kind != "Rollout":
            continue
        strategy = (d.body.get("spec") or {}).get("strategy") or {}
        bg = strategy.get("blueGreen") if isinstance(strategy, dict) else None
        if not isinstance(bg, dict):
            continue
        base = "spec.strategy.blueGreen"
        active, preview = bg.get("activeService"), bg.get("previewService")
        if active and active == preview:
            yield Finding(
                E, d.file, d.ref, f"{base}.previewService",
                "the preview Service is the active one: Argo refuses the Rollout (InvalidSpec)",
                "give the preview a Service of its own",
            )  # fmt: skip
        for key, svc in (("activeService", active), ("previewService", preview)):
            if svc and (_ns(d), str(svc)) not in services:
                yield Finding(
                    W, d.file, d.ref, f"{base}.{key}",
                    f"no Service named {svc!r} in these manifests: Argo keeps the Rollout "
                    "Degraded (service not found)",
                    "add the Service (selector: the Rollout's pod labels)",
                )  # fmt: skip
        for key in _ANALYSES:
            yield from _analysis_findings(d, f"{base}.{key}", bg.get(key), templates)
