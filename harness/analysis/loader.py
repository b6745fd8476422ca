"""Reading an AnalysisTemplate file: one clear line per mistake (file, field, fix)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from harness.analysis.conditions import unsupported_reason
from harness.analysis.model import AnalysisTemplate, Metric, PreparedAnalysis, SpecError, prepare
from harness.analysis.source import TIME_EXPR
from harness.errors import ConfigError
from harness.manifests import field_path, read_documents

KINDS = ("AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun")


def load_template(path: Path) -> AnalysisTemplate:
    """Parse and shape-check the file; the only document of an analysis kind in it."""
    name = str(path)
    found = [d.body for d in read_documents(path) if d.body.get("kind") in KINDS]
    if len(found) != 1:
        problem = "no AnalysisTemplate in the file" if not found else "more than one analysis"
        raise ConfigError(name, "kind", problem, f"keep exactly one document of kind {KINDS[0]}")
    doc = found[0]
    try:
        template = AnalysisTemplate.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(name, field_path(err["loc"]), err["msg"]) from None
    for index, raw in enumerate(template.spec.metrics):
        try:
            Metric.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = field_path(("spec", "metrics", index, *err["loc"]))
            fix = "check the spelling against the Argo Rollouts Metric fields"
            raise ConfigError(name, where, err["msg"], fix) from None
    return template


def required_args(template: AnalysisTemplate, supplied: Mapping[str, str], file: str) -> None:
    """Bad input for an unknown `--arg` or a template arg left without a value."""
    declared = [a.name for a in template.spec.args]
    for key in supplied:
        if key not in declared:
            raise ConfigError(
                "--arg", key, "the template declares no such argument",
                f"declared: {', '.join(declared) or 'none'}",
            )  # fmt: skip
    for index, arg in enumerate(template.spec.args):
        if arg.name in supplied or arg.value is not None:
            continue
        source = "has no value"
        if arg.value_from and arg.value_from.secret_key_ref:
            ref = arg.value_from.secret_key_ref
            source = f"comes from secret {ref.name}/{ref.key}, which is not available here"
        elif arg.value_from is not None:
            source = "comes from a Rollout field, which is not available here"
        raise ConfigError(
            file, f"spec.args[{index}] ({arg.name})", f"argument {source}",
            f"pass --arg {arg.name}=VALUE",
        )  # fmt: skip


def prepare_checked(
    template: AnalysisTemplate, supplied: Mapping[str, str], file: str
) -> PreparedAnalysis:
    """`prepare` with Argo's spec errors and this evaluator's limits turned into ConfigError."""
    try:
        prepared = prepare(template.spec, supplied)
    except SpecError as exc:
        raise ConfigError(file, exc.field, exc.message) from None
    for index, metric in enumerate(prepared.metrics):
        where = f"spec.metrics[{index}]"
        if metric.provider.prometheus is None:
            kinds = ", ".join((metric.provider.model_extra or {}).keys())
            raise ConfigError(
                file,
                f"{where}.provider",
                f"only the prometheus provider is supported (got {kinds})",
            )
        for key, cond in (
            ("successCondition", metric.success_condition),
            ("failureCondition", metric.failure_condition),
        ):
            reason = unsupported_reason(cond) if cond else None
            if reason:
                raise ConfigError(
                    file, f"{where}.{key}", f"not supported by the harness evaluator: {reason}",
                    "see docs/parity.md for the supported expr-lang subset",
                )  # fmt: skip
        prom = metric.provider.prometheus
        rq = prom.range_query
        if rq is not None:
            for key, text in (("start", rq.start), ("end", rq.end)):
                if not TIME_EXPR.match(text):
                    raise ConfigError(
                        file, f"{where}.provider.prometheus.rangeQuery.{key}",
                        f"unsupported time expression {text!r}",
                        'use now() or now() - duration("5m")',
                    )  # fmt: skip
        auth = prom.authentication
        if auth is not None and (auth.sigv4 or auth.oauth2):
            raise ConfigError(
                file, f"{where}.provider.prometheus.authentication",
                "only basicAuth is supported by the harness", "use basicAuth or headers",
            )  # fmt: skip
    return prepared
