"""`harness validate` on AnalysisTemplates: Argo's spec errors and the conditions that trap."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.mesh.findings import Finding, Severity
from harness.validate.lint import lint

ROOT = Path(__file__).resolve().parents[2]
TRAPS = Path(__file__).parent / "fixtures" / "analysis-traps.yaml"
SHIPPED = ROOT / "deploy" / "kubernetes" / "analysistemplate-success-rate.yaml"
E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


@pytest.fixture(scope="module")
def traps() -> list[Finding]:
    return lint([TRAPS])


def _one(found: list[Finding], obj: str, field: str) -> Finding:
    hits = [f for f in found if (f.obj, f.field) == (obj, field)]
    assert len(hits) == 1, [f.render() for f in found if f.obj == obj]
    return hits[0]


SEED = "AnalysisTemplate/success-rate"
COND = "AnalysisTemplate/conditions"

CASES = [
    # the seed's template: unguarded result[0] aborts the rollout on a quiet service
    (SEED, "spec.metrics[0].successCondition", W, "errors when the query returns no series"),
    (SEED, "spec.metrics[1].successCondition", W, "errors when the query returns no series"),
    (SEED, "spec.metrics[0].count", W, "without count"),
    (SEED, "spec.metrics[0].failureLimit", INFO, "fails on failed measurement 4, not 3"),
    (SEED, "spec.args[0]", INFO, "must supply it"),
    # Argo's own spec errors, with Argo's words
    ("AnalysisTemplate/duplicate", "spec.metrics[1].name", E, "duplicate name 'm'"),
    (
        "AnalysisTemplate/count-without-interval",
        "spec.metrics[0]",
        E,
        "interval must be specified when count > 1",
    ),
    (
        "AnalysisTemplate/dry-run-nothing",
        "spec.dryRun[0].metricName",
        E,
        "Rule didn't match any metric name(s)",
    ),
    ("AnalysisTemplate/unknown-arg", "spec.args", E, "failed to resolve {{args.job}}"),
    ("AnalysisRun/run-without-arg", "spec.args", E, 'argument "service-name" was not supplied'),
    # conditions checked against the kind of result the query returns
    (COND, "spec.metrics[0].successCondition", E, "mismatched types []float64 and float64"),
    (COND, "spec.metrics[1].successCondition", E, "returns a scalar (float64)"),
    (COND, "spec.metrics[3].successCondition", E, "does not parse"),
    (COND, "spec.metrics[4].successCondition", INFO, "not supported by the harness evaluator"),
    (COND, "spec.metrics[5].successCondition", W, "no data counts as Successful"),
    (COND, "spec.metrics[7].failureLimit", W, "can never fail"),
    (
        "AnalysisTemplate/failure-only",
        "spec.metrics[0].failureCondition",
        W,
        "no data counts as Successful",
    ),
]


@pytest.mark.parametrize(("obj", "field", "severity", "words"), CASES)
def test_each_trap_is_one_finding_with_its_fix(traps, obj, field, severity, words):
    f = _one(traps, obj, field)
    assert f.severity is severity
    assert words in f.message
    assert f.fix and f.file.endswith("analysis-traps.yaml")


def test_sound_conditions_are_not_reported(traps):
    # scalar() arithmetic compared directly, and guarded conditions on a vector
    quiet = {"spec.metrics[2]", "spec.metrics[6]"}
    assert [f.render() for f in traps if f.obj == COND and f.field.rsplit(".", 1)[0] in quiet] == []


def test_the_shipped_template_has_no_error_nor_warning():
    found = lint([SHIPPED])
    assert [f.render() for f in found if f.severity is not INFO] == []
    assert {f.field for f in found} == {
        "spec.args[0]",  # service-name: the Rollout supplies it
        "spec.metrics[0].failureLimit",
        "spec.metrics[1].failureLimit",
    }


def test_an_arg_used_as_a_duration_is_not_blamed(tmp_path):
    path = tmp_path / "at.yaml"
    path.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\n"
        "spec:\n  args: [{name: every}, {name: min}]\n  metrics:\n"
        "  - name: m\n    interval: '{{args.every}}'\n    count: 3\n"
        "    successCondition: len(result) > 0 && result[0] >= {{args.min}}\n"
        "    provider: {prometheus: {address: 'http://p:9090', query: up}}\n"
    )
    assert [(f.severity, f.field) for f in lint([path])] == [
        (INFO, "spec.args[0]"),
        (INFO, "spec.args[1]"),
    ]


@pytest.mark.integration  # runs the CLI in a child interpreter
def test_cli_exit_codes_for_analysis(harness_cli, tmp_path):
    def run(*paths: Path) -> subprocess.CompletedProcess[str]:
        argv = [*harness_cli, "validate", *map(str, paths)]
        return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, check=False)

    bad = run(TRAPS)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "AnalysisTemplate/duplicate: spec.metrics[1].name" in bad.stdout
    seed_only = tmp_path / "seed.yaml"
    text = TRAPS.read_text(encoding="utf-8")
    seed_only.write_text(text.split("\n---\n", 1)[0])
    warned = run(seed_only)
    assert warned.returncode == 0, warned.stdout
    assert "warning:" in warned.stdout and "result[0] >= X" in warned.stdout
    whole = run()  # default: deploy/kubernetes/, shipped template included
    assert whole.returncode == 0, whole.stdout
    assert "0 error(s)" in whole.stderr


@pytest.mark.parametrize(
    ("query", "vector"),
    [
        ("sum(rate(x[1m])) / sum(rate(y[1m]))", True),
        ("scalar(sum(a)) / scalar(sum(b))", False),
        ("-scalar(a) * 100", False),
        ("scalar(a) / (scalar(b) + 1)", False),
        ("scalar(a) or vector(0)", True),
        ("(sum(a) or vector(0)) / scalar(b)", True),
        ("time() - 5", False),
    ],
)
def test_result_kind_follows_the_query(tmp_path, query, vector):
    # `result >= 0.95` compiles on a scalar and is a compile error on a vector ([]float64)
    path = tmp_path / "q.yaml"
    path.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\n"
        "spec:\n  metrics:\n  - name: m\n    successCondition: result >= 0.95\n"
        f"    provider: {{prometheus: {{address: 'http://p:9090', query: '{query}'}}}}\n"
    )
    errors = [f.field for f in lint([path]) if f.severity is E]
    assert errors == (["spec.metrics[0].successCondition"] if vector else [])
