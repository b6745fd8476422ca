"""Structure against CRD schemas: OpenAPI v3 as the API server applies it, and CEL rules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.manifests import Document
from harness.mesh.findings import Severity
from harness.validate.schemas import SchemaSet

FIXTURE = Path(__file__).parent / "fixtures" / "schemas"
ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"


def widget(**spec: object) -> Document:
    body = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    return Document("w.yaml", 0, {**body, "spec": spec, "status": {"anything": 1}})


def verdicts(**spec: object) -> list[tuple[str, str]]:
    return [(f.field, f.message) for f in SchemaSet.load(FIXTURE).findings(widget(**spec))]


def test_a_valid_object_has_no_findings_and_status_is_not_checked():
    assert verdicts(port=80, target="http", note=None) == []
    assert verdicts(port=80, extra={"any": {"thing": 1}}) == []
    assert verdicts(port=80, target=8080, labels={"a": "b"}, mode="A") == []


def test_unknown_fields_wrong_types_and_enums_name_the_field():
    assert verdicts(port=80, prot=1) == [("spec.prot", "unknown field `prot`")]
    assert verdicts(port="80") == [("spec.port", "'80' is not of type 'integer'")]
    assert verdicts(port=80, mode="C") == [("spec.mode", "'C' is not one of: A, B")]
    assert verdicts() == [("spec", "'port' is a required property")]


def test_cel_rules_run_on_the_value_they_are_declared_on():
    assert verdicts(port=0) == [("spec.port", "port number between 1 and 65535")]
    assert verdicts(port=1, timeout="0.5ms") == [
        ("spec.timeout", "must be a valid duration greater than 1ms")
    ]
    assert verdicts(port=1, note="n", extra={}) == [("spec", "note and extra are exclusive")]


def test_rules_the_library_cannot_evaluate_and_transition_rules_are_skipped():
    schemas = SchemaSet.load(FIXTURE)
    assert schemas.findings(widget(port=1, url="ftp://x")) == []
    assert schemas.skipped == {"url(self).getScheme() in ['http', 'https']"}


def test_a_kind_without_a_schema_is_not_covered():
    doc = Document("x.yaml", 0, {"apiVersion": "v1", "kind": "ConfigMap"})
    assert not SchemaSet.load(FIXTURE).covers(doc)
    assert SchemaSet.load(FIXTURE / "absent").index == {}


def _upstream() -> Path | None:
    """The schemas written by scripts/refresh_schemas.py, when this machine has them."""
    for candidate in (os.environ.get("HARNESS_SCHEMAS"), ROOT / "harness/validate/schemas"):
        if candidate and (Path(candidate) / "index.json").is_file():
            return Path(candidate)
    return None


@pytest.mark.skipif(_upstream() is None, reason="no upstream schemas (scripts/refresh_schemas.py)")
def test_istio_typos_are_found_by_the_upstream_schemas():
    schemas = SchemaSet.load(_upstream())  # type: ignore[arg-type]  # skipped when None
    from harness.manifests import read_manifests

    found = [
        (f.obj, f.field, f.severity)
        for d in read_manifests([CASES / "istio-schema" / "invalid-typos.yaml"])
        for f in schemas.findings(d)
    ]
    assert ("Gateway/bookinfo-gateway", "spec.selectr", Severity.ERROR) in found
    assert ("ServiceEntry/external-svc-https", "spec.hostz", Severity.ERROR) in found
    assert ("ServiceEntry/external-svc-https", "spec.resolution", Severity.ERROR) in found
    per_try = "spec.http[0].retries.perTryTimeout"
    assert ("VirtualService/reviews", per_try, Severity.ERROR) in found  # a CEL rule
