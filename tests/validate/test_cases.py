"""Verdicts on files in the shapes upstream projects ship (`cases/`, see its README).

Every `valid-*` file lints without an error; every `invalid-*` file is refused naming the field.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.mesh.findings import Finding, Severity
from harness.validate.lint import lint

CASES = Path(__file__).parent / "cases"
VALID = sorted(CASES.rglob("valid-*.y*ml"))


def errors(found: list[Finding]) -> list[str]:
    return [f.render() for f in found if f.severity is Severity.ERROR]


def by_field(found: list[Finding]) -> dict[str, Severity]:
    return {f.field: f.severity for f in found}


@pytest.mark.parametrize("path", VALID, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_valid_file_lints_clean(path: Path):
    assert errors(lint([path])) == []


def test_a_rule_after_a_match_less_rule_is_a_warning_as_in_istio():
    found = lint([CASES / "istio" / "valid-fault-injection-details.yaml"])
    unused = [f for f in found if f.field == "spec.http[1]"]
    assert [(f.severity, f.message) for f in unused] == [
        (
            Severity.WARNING,
            "virtualService rule #1 not used (only the last rule can have no matches)",
        )
    ]


def test_proxy_selector_matches_are_not_catch_alls():
    found = lint([CASES / "istio" / "valid-proxy-selector-matches.yaml"])
    assert [f for f in found if "not used" in f.message] == []


def test_a_fault_in_an_unreachable_rule_is_an_error_and_duplicates_warn():
    found = by_field(lint([CASES / "istio" / "invalid-fault-after-catch-all.yaml"]))
    assert found["spec.http[1]"] is Severity.WARNING  # all matches used by prior rules
    assert found["spec.http[3]"] is Severity.ERROR  # its fault never fires


def test_a_subset_in_another_file_is_checked_when_that_file_is_given():
    vs = CASES / "istio" / "valid-subset-in-another-file.yaml"
    alone = [f for f in lint([vs]) if f.field.endswith("destination.subset")]
    assert [(f.severity, "not checked" in f.message) for f in alone] == [(Severity.INFO, True)]
    both = lint([vs, CASES / "istio" / "valid-subset-destination-rule.yaml"])
    assert by_field(both)["spec.http[0].route[0].destination.subset"] is Severity.ERROR


def test_two_providers_are_refused_one_other_provider_is_not():
    found = lint([CASES / "argo" / "invalid-provider-twice.yaml"])
    assert [(f.field, f.message) for f in found if f.severity is Severity.ERROR] == [
        ("spec.metrics[0]", "Analysis spec invalid: metrics[0]: multiple providers specified")
    ]


def test_a_kustomization_is_not_a_kubernetes_object():
    assert lint([CASES / "argo" / "kustomization.yaml"]) == []


def test_a_bare_kong_file_gets_kong_lints():
    found = by_field(lint([CASES / "kong" / "valid-bare-kong.yml"]))
    assert found["services[0].plugins[0].name"] is Severity.INFO  # ip-restriction
    assert found["services[0].plugins[1].config.redis_host"] is Severity.WARNING
    assert "apiVersion" not in found and "metadata.name" not in found


def test_one_kong_schema_error_does_not_hide_the_others():
    found = lint([CASES / "kong" / "invalid-several-errors.yml"])
    assert {f.field for f in found if f.severity is Severity.ERROR} == {
        "services[0].retires",
        "services[1].plugins[0].name",
        "services[2].plugins[0].config.size_unit",
    }
