"""AnalysisTemplate lints for `harness validate`, decided by the evaluator of `harness/analysis/`.

Errors: what Argo rejects before measuring (`Analysis spec invalid: ...`, unresolved args),
conditions that do not parse or never compile against the query's result kind (the metric is
always Error), and conditions the harness evaluator does not implement. Warnings: conditions
that error when the query returns no series (the rollout aborts on a quiet service), no data
counted as success, unbounded metrics, limits that can never trip. Info: args the Rollout must
supply.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import ValidationError

from harness.analysis.conditions import Result, eval_condition, evaluate_result, unsupported_reason
from harness.analysis.expr_check import check, type_of
from harness.analysis.expr_parse import ExprError, parse
from harness.analysis.loader import KINDS
from harness.analysis.model import (
    AnalysisTemplate,
    Metric,
    SpecError,
    int_value,
    prepare,
)
from harness.analysis.phase import AnalysisPhase
from harness.manifests import Document
from harness.mesh.findings import Finding, Severity

E, W, HINT = Severity.ERROR, Severity.WARNING, Severity.INFO
GUARD = (
    "guard it: len(result) > 0 && result[0] >= X (no data is then Failed, or Inconclusive "
    "with a matching failureCondition)"
)
_NUMBER = re.compile(r"^[0-9.]+$")
_CALL = re.compile(r"^([A-Za-z_]*)\s*\(")

# How to fix each of Argo's spec errors (the run is Error before any measurement).
_SPEC_FIXES = (
    ("duplicate name", "give every metric a unique name"),
    ("interval must be specified", "add an interval (e.g. 60s) or set count: 1"),
    ("Rule didn't match", "make the rule's regex match a metric name, or remove the rule"),
    ("failed to resolve", "declare the argument in spec.args, or fix the tag's spelling"),
    ("was not supplied", "give the argument a value"),
    ("", "change the field as the message says"),
)


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _top_level_terms(query: str) -> list[str]:
    """Operands of the query's outermost arithmetic, split outside brackets, strings, comments."""
    text = re.sub(r"#[^\n]*", "", query).strip()
    terms, depth, start, quote = [], 0, 0, ""
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote and text[i - 1] != "\\" else quote
        elif ch in "\"'`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and ch in "+-*/%^" and i > start:
            terms.append(text[start:i].strip())
            start = i + 1
    terms.append(text[start:].strip())
    return [t for t in terms if t]


def _call(term: str) -> tuple[str, str] | None:
    """`name(inner)` (name may be empty) when the term is one call or one parenthesised group."""
    m = _CALL.match(term)
    if m is None or not term.endswith(")"):
        return None
    depth = 0
    for i in range(m.end() - 1, len(term)):
        depth += {"(": 1, ")": -1}.get(term[i], 0)
        if depth == 0:
            return (m.group(1).lower(), term[m.end() : -1]) if i == len(term) - 1 else None
    return None


def _is_scalar(query: str) -> bool:
    """PromQL type of the expression: scalar only for numbers, scalar(), time() and their
    arithmetic; anything with a vector operand (or a set operator) is a vector."""
    terms = _top_level_terms(query)
    for term in terms:
        term = term.lstrip("+-").strip()
        call = _call(term)
        if _NUMBER.match(term) or (call is not None and call[0] in ("scalar", "time", "pi")):
            continue
        if not (call is not None and call[0] == "" and _is_scalar(call[1])):
            return False
    return bool(terms)


def result_kind(metric: Metric) -> Result | None:
    """A sample non-empty `result` of this metric's query, or None when it cannot be known.

    Prometheus answers an instant vector for nearly every query (Argo passes `[]float64`, even
    for one series); only arithmetic of `scalar(...)`, `time()` and numbers gives a scalar
    (`float64`). A range query's matrix is flattened into `[]float64` too.
    """
    prom = metric.provider.prometheus
    if prom is None:
        return None  # other providers: the result's shape is not known here
    if prom.range_query is None and _is_scalar(prom.query):
        return 1.0
    return (1.0,)


def _condition(
    file: str, ref: str, where: str, cond: str, sample: Result | None
) -> Iterable[Finding]:
    reason = unsupported_reason(cond)
    if reason:
        # valid for Argo: only `harness analyze` and the local run cannot evaluate it
        yield Finding(
            HINT, file, ref, where, f"not supported by the harness evaluator: {reason}",
            "see docs/parity.md for the supported expr-lang subset",
        )  # fmt: skip
        return
    try:
        node = parse(cond)
    except ExprError as exc:
        yield Finding(E, file, ref, where, f"does not parse: {exc}", "fix the expr-lang syntax")
        return
    if sample is None:
        return
    shape = "a vector ([]float64)" if isinstance(sample, tuple) else "a scalar (float64)"
    try:
        check(node, {"result": type_of(sample)})
    except ExprError as exc:
        fix = (
            "compare an element: len(result) > 0 && result[0] ..."
            if isinstance(sample, tuple)
            else "compare result itself, or drop scalar() from the query"
        )
        yield Finding(
            E, file, ref, where,
            f"does not compile when the query returns {shape}: {exc}; every measurement is "
            "Error and the rollout aborts", fix,
        )  # fmt: skip
        return
    if isinstance(sample, tuple):
        try:
            eval_condition((), cond)
        except ExprError as exc:
            yield Finding(
                W, file, ref, where,
                f"errors when the query returns no series ({exc}): a service without traffic "
                "makes every measurement Error and the rollout aborts", GUARD,
            )  # fmt: skip


def _metric(file: str, ref: str, index: int, m: Metric) -> Iterable[Finding]:
    at = f"spec.metrics[{index}]"
    sample = result_kind(m)
    for key, cond in (
        ("successCondition", m.success_condition),
        ("failureCondition", m.failure_condition),
    ):
        if cond:
            yield from _condition(file, ref, f"{at}.{key}", cond, sample)
    if isinstance(sample, tuple) and (m.success_condition or m.failure_condition):
        # an evaluation error is an Error outcome here; the conditions' own findings say why
        outcome = evaluate_result((), m.success_condition, m.failure_condition)
        key = "successCondition" if m.success_condition else "failureCondition"
        if outcome.phase is AnalysisPhase.SUCCESSFUL:
            yield Finding(
                W, file, ref, f"{at}.{key}",
                "no data counts as Successful: a service without traffic passes the analysis",
                "require data: len(result) > 0 && ...",
            )  # fmt: skip
    count = int_value(m.count)
    failure_limit = int_value(m.failure_limit)
    if m.interval and count == 0:
        yield Finding(
            W, file, ref, f"{at}.count",
            f"interval {m.interval} without count: the metric measures until the rollout ends; "
            "as pre/post-promotion or step analysis it never completes",
            "set count (e.g. count: 5)",
        )  # fmt: skip
    if count > 0 and failure_limit >= count:
        yield Finding(
            W, file, ref, f"{at}.failureLimit",
            f"failureLimit {failure_limit} >= count {count}: the metric fails only when failed "
            "> failureLimit, so it can never fail",
            f"set failureLimit below {count} (failureLimit: N fails on the N+1th failure)",
        )  # fmt: skip
    elif failure_limit > 0:
        yield Finding(
            HINT, file, ref, f"{at}.failureLimit",
            f"failureLimit {failure_limit}: the metric fails on failed measurement "
            f"{failure_limit + 1}, not {failure_limit}",
            f"set failureLimit: {failure_limit - 1} to fail on failure {failure_limit}",
        )  # fmt: skip


def _placeholder(template: AnalysisTemplate, name: str) -> str:
    """A stand-in value for an arg supplied later: a duration where a duration goes, else 1."""
    tag = re.compile(r"\{\{\s*args\." + re.escape(name) + r"\s*\}\}")
    for raw in template.spec.metrics:
        if any(tag.search(str(raw.get(key, ""))) for key in ("interval", "initialDelay")):
            return "1m"
    return "1"


def _template(d: Document) -> Iterable[Finding]:
    try:
        template = AnalysisTemplate.model_validate(d.body)
    except ValidationError as exc:
        err = exc.errors()[0]
        yield Finding(E, d.file, d.ref, _loc(err["loc"]), err["msg"], "fix the field")
        return
    bad_shape = False
    for index, raw in enumerate(template.spec.metrics):
        try:
            Metric.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            yield Finding(
                E, d.file, d.ref, _loc(("spec", "metrics", index, *err["loc"])), err["msg"],
                "check the spelling against the Argo Rollouts Metric fields",
            )  # fmt: skip
            bad_shape = True
    if bad_shape:
        return
    supplied: dict[str, str] = {}
    is_run = template.kind == "AnalysisRun"
    for index, arg in enumerate(template.spec.args):
        if arg.value is not None:
            continue
        if arg.value_from is not None:
            # resolved by the controller; a stand-in lets the rest of the metric be checked
            supplied[arg.name] = _placeholder(template, arg.name)
        elif not is_run:
            supplied[arg.name] = _placeholder(template, arg.name)
            yield Finding(
                HINT, d.file, d.ref, f"spec.args[{index}]",
                f"argument {arg.name!r} has no default: every Rollout using this template must "
                "supply it (else the run is Error: argument was not supplied)",
                "pass it in the Rollout's analysis args, or give it a value",
            )  # fmt: skip
    try:
        prepared = prepare(template.spec, supplied)
    except SpecError as exc:
        fix = next((f for key, f in _SPEC_FIXES if key in exc.message), _SPEC_FIXES[-1][1])
        yield Finding(E, d.file, d.ref, exc.field or "spec", exc.message, fix)
        return
    for index, metric in enumerate(prepared.metrics):
        yield from _metric(d.file, d.ref, index, metric)


def analysis_findings(documents: Iterable[Document]) -> Iterable[Finding]:
    """Findings for every AnalysisTemplate, ClusterAnalysisTemplate and AnalysisRun."""
    for d in documents:
        if d.kind in KINDS and str(d.body.get("apiVersion", "")).startswith("argoproj.io/"):
            yield from _template(d)
