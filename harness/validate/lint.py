"""`harness validate`: schema findings plus the traps that load fine but do not do what they say.

Severity follows one policy (`harness.validate.policy`): errors are what the real system
rejects or what can never do what it says; warnings are accepted but probably not meant; info
is worth knowing. The checks live by platform: `istio` (dead rules, faults, subsets), `kong`
(declarative config, plugins), `analysis` (AnalysisTemplates), `workloads` (Kubernetes joins).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from harness.manifests import Document
from harness.mesh.config import KONG_KEYS, MeshConfig, load_config
from harness.mesh.findings import Finding, Severity
from harness.validate.analysis import analysis_findings
from harness.validate.autoscaling import autoscaler_findings
from harness.validate.istio import (
    authorization_findings,
    destination_rule_findings,
    virtual_service_findings,
)
from harness.validate.kong import is_bare_kong, kong_findings
from harness.validate.rollouts import rollout_findings
from harness.validate.schemas import schemas
from harness.validate.workloads import workload_findings

E, W, HINT = Severity.ERROR, Severity.WARNING, Severity.INFO
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
UNNAMED_KINDS = ("IstioOperator",)  # read by istioctl, which needs no name
_KONG_FIELDS = tuple(f"data.{key}" for key in KONG_KEYS)


def _kustomization(d: Document) -> bool:
    return Path(d.file).name in KUSTOMIZATION_FILES or d.kind in ("Kustomization", "Component")


def _documents(documents: list[Document]) -> Iterable[Finding]:
    for d in documents:
        if is_bare_kong(d) or _kustomization(d):
            continue  # not Kubernetes objects: Kong's own format, kustomize's build file
        if not d.body.get("apiVersion") and not d.body.get("kind"):
            yield Finding(
                W, d.file, d.ref, "apiVersion", "not a Kubernetes object (no apiVersion, no kind): "
                "not checked", "leave such files (Helm values, charts) out of the paths",
            )  # fmt: skip
            continue
        for key in ("apiVersion", "kind"):
            if not d.body.get(key):
                yield Finding(E, d.file, d.ref, key, f"missing {key}", f"add {key}")
        meta = d.body.get("metadata")
        if d.kind in UNNAMED_KINDS:
            continue
        if not isinstance(meta, dict) or not (meta.get("name") or meta.get("generateName")):
            yield Finding(
                E, d.file, d.ref, "metadata.name", "missing name (and generateName)",
                "name the object",
            )  # fmt: skip


def _mesh_findings(cfg: MeshConfig, covered: set[tuple[str, str]]) -> Iterable[Finding]:
    # The Kong part of the mesh loader's findings is the proxy's (it refuses plugins it does
    # not reproduce); `kong_findings` judges the config as Kong does. Where an upstream schema
    # covers the object, the schema judges its structure; the hand-written model refusing it
    # only means the harness's own checks of it did not run.
    for f in cfg.findings:
        if f.field.startswith(_KONG_FIELDS):
            continue
        if (f.file, f.obj) in covered:
            yield Finding(
                HINT, f.file, f.obj, f.field,
                f"valid by the CRD schema, but the harness model refuses it ({f.message}): "
                "its dead-rule and fault checks did not run", "tell the harness maintainers",
            )  # fmt: skip
        else:
            yield f


def _schema_findings(documents: list[Document]) -> tuple[list[Finding], set[tuple[str, str]]]:
    bundle = schemas()
    found: list[Finding] = []
    covered: set[tuple[str, str]] = set()
    for d in documents:
        if bundle.covers(d):
            covered.add((d.file, d.ref))
            found.extend(bundle.findings(d))
    return found, covered


def lint(paths: list[Path]) -> list[Finding]:
    """Every finding for the manifests under `paths` (errors first, then by file)."""
    cfg = load_config(paths)
    documents = [d for d in cfg.documents if not _kustomization(d)]
    found, covered = _schema_findings(documents)
    found.extend(_mesh_findings(cfg, covered))
    found.extend(_documents(cfg.documents))
    for check in (
        virtual_service_findings,
        destination_rule_findings,
        authorization_findings,
        workload_findings,
    ):
        found.extend(check(cfg))
    found.extend(kong_findings(documents))
    found.extend(analysis_findings(documents))
    found.extend(autoscaler_findings(documents))
    found.extend(rollout_findings(documents))
    rank = {E: 0, W: 1, HINT: 2}
    return sorted(found, key=lambda f: (rank[f.severity], f.file, f.obj, f.field))
