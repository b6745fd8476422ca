"""Measurement phase from a provider result and the two conditions (`utils/evaluate/evaluate.go`).

Wording follows Argo Rollouts v1.10 (expr-lang v1.17.8): every evaluation error is reported as
`could not evaluate successCondition "<expr>": <expr error>`, and when the result is empty (or
nil) the cause is replaced by `metric result is nil or empty: no data returned from the metric
provider` (`formatEvalError`, commit 5941aaa99).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from harness.analysis.expr_check import check, type_of
from harness.analysis.expr_eval import Evaluator, as_float, as_int, go_type
from harness.analysis.expr_parse import ExprError, Node, Unsupported, parse
from harness.analysis.phase import AnalysisPhase

# A provider result: a float (Prometheus scalar) or a tuple of floats (vector or matrix).
Result = float | tuple[float, ...] | None


@dataclass(frozen=True)
class ConditionOutcome:
    """A measurement's phase and, for Error, its message."""

    phase: AnalysisPhase
    message: str = ""


@lru_cache(maxsize=256)
def _parsed(condition: str) -> Node | ExprError:
    try:
        return parse(condition)
    except ExprError as exc:
        return exc


def unsupported_reason(condition: str) -> str | None:
    """Why this evaluator cannot run `condition` (valid expr it does not implement), else None."""
    try:
        node = parse(condition)
        check(node, {"result": type_of(0.0)})
        check(node, {"result": type_of((0.0,))})
    except Unsupported as exc:
        return str(exc)
    except ExprError:
        return None  # Argo reports real errors as measurement Errors; so do we
    return None


def _float_arg(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ExprError(f"reflect: Call using {go_type(value)} as type float64")
    return float(value)


def eval_condition(result: Result, condition: str) -> bool:
    """`EvalCondition`: compile against the env typed by `result`, run, demand a bool."""
    node = _parsed(condition)
    if isinstance(node, ExprError):
        raise node
    funcs: dict[str, Callable[..., object]] = {
        "asInt": as_int,
        "asFloat": as_float,
        "isNaN": lambda x: math.isnan(_float_arg("isNaN", x)),
        "isInf": lambda x: math.isinf(_float_arg("isInf", x)),
        "isNil": lambda _x: result is None,
        "default": lambda _x, d: d if result is None else result,
    }
    try:
        check(node, {"result": type_of(result)})
    except Unsupported as exc:
        raise ExprError(f"not supported by the harness evaluator: {exc}") from None
    value = Evaluator({"result": result}, funcs).run(node)
    if not isinstance(value, bool):
        raise ExprError(f"expected bool, but got {go_type(value)}")
    return value


def _format_error(err: ExprError, kind: str, condition: str, result: Result) -> str:
    if result is None or (isinstance(result, tuple) and len(result) == 0):
        return (
            f'could not evaluate {kind} "{condition}": metric result is nil or empty: '
            "no data returned from the metric provider"
        )
    return f'could not evaluate {kind} "{condition}": {err}'


def evaluate_result(result: Result, success: str, failure: str) -> ConditionOutcome:
    """`EvaluateResult`: the measurement phase table of docs/parity.md, success evaluated first."""
    ok = failed = False
    if success:
        try:
            ok = eval_condition(result, success)
        except ExprError as exc:
            return ConditionOutcome(
                AnalysisPhase.ERROR, _format_error(exc, "successCondition", success, result)
            )
    if failure:
        try:
            failed = eval_condition(result, failure)
        except ExprError as exc:
            return ConditionOutcome(
                AnalysisPhase.ERROR, _format_error(exc, "failureCondition", failure, result)
            )
    if not success and not failure:
        return ConditionOutcome(AnalysisPhase.SUCCESSFUL)
    if success and not failure:
        failed = not ok
    elif failure and not success:
        ok = not failed
    if failed:
        return ConditionOutcome(AnalysisPhase.FAILED)
    if not ok:
        return ConditionOutcome(AnalysisPhase.INCONCLUSIVE)
    return ConditionOutcome(AnalysisPhase.SUCCESSFUL)
