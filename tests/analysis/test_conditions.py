"""Measurement phase from conditions (docs/parity.md), Argo v1.10 / expr v1.17 wording."""

from __future__ import annotations

import math

import pytest

from harness.analysis.conditions import eval_condition, evaluate_result, unsupported_reason
from harness.analysis.expr_parse import ExprError
from harness.analysis.phase import AnalysisPhase as P

NAN = math.nan
INF = math.inf
EMPTY_MSG = "metric result is nil or empty: no data returned from the metric provider"


@pytest.mark.parametrize(
    ("success", "failure", "result", "phase"),
    [
        # the measurement phase table (docs/parity.md)
        ("", "", (0.1,), P.SUCCESSFUL),
        ("", "", (), P.SUCCESSFUL),
        ("result[0] >= 0.9", "", (0.95,), P.SUCCESSFUL),
        ("result[0] >= 0.9", "", (0.5,), P.FAILED),
        ("", "result[0] < 0.9", (0.5,), P.FAILED),
        ("", "result[0] < 0.9", (0.95,), P.SUCCESSFUL),
        ("result[0] >= 0.9", "result[0] < 0.9", (0.95,), P.SUCCESSFUL),
        ("result[0] >= 0.9", "result[0] < 0.9", (0.5,), P.FAILED),
        ("result[0] > 0", "result[0] > 0.5", (0.9,), P.FAILED),  # failure wins over success
        ("result[0] > 0.95", "result[0] < 0.5", (0.7,), P.INCONCLUSIVE),
        # edge cases of the condition language
        ("len(result) == 0 || result[0] >= 0.95", "", (), P.SUCCESSFUL),
        ("len(result) > 0 && result[0] >= 0.95", "", (), P.FAILED),
        ("all(result, # < 1000)", "", (), P.SUCCESSFUL),
        ("all(result, {# < 1000})", "", (5.0, 2000.0), P.FAILED),
        ("any(result, # > 1)", "", (0.5, 2.0), P.SUCCESSFUL),
        ("result[0] >= 0.9", "result[0] < 0.9", (NAN,), P.INCONCLUSIVE),
        ("result[0] >= 0.9", "", (NAN,), P.FAILED),
        ("result >= 0.9", "result < 0.9", NAN, P.INCONCLUSIVE),
        ("isNaN(result[0]) || result[0] >= 0.9", "", (NAN,), P.SUCCESSFUL),
        ("", "isNaN(result)", NAN, P.FAILED),
        ("result[0] > 1e308", "", (INF,), P.SUCCESSFUL),
        ("isInf(result)", "", INF, P.SUCCESSFUL),
        ("result == 10", "", 10.0, P.SUCCESSFUL),  # int vs float: numeric
        ("result[0] < 1", "", (0.5,), P.SUCCESSFUL),
        ("result[0] / 0 > 1", "", (1.0,), P.SUCCESSFUL),  # `/` is float: +Inf, no error
        ("7 / 2 == 3.5", "", 1.0, P.SUCCESSFUL),
        ("default(result, 0.5) == 0.5", "", 1.0, P.FAILED),  # substitutes only nil
        ("not isNil(result)", "", (), P.SUCCESSFUL),  # an empty vector is not nil
        ("result[-1] == 3", "", (1.0, 2.0, 3.0), P.SUCCESSFUL),
        ("asInt(result[0]) == 2 and asFloat('2.5') > 2", "", (2.7,), P.SUCCESSFUL),
        ("1 < result[0] < 3", "", (2.0,), P.SUCCESSFUL),
        ("1 < result[0] < 3", "", (4.0,), P.FAILED),
        ("result[0] in [1, 2]", "", (2.0,), P.SUCCESSFUL),
        ("result[0] > 1 ? true : false", "", (0.0,), P.FAILED),
        ("!(result[0] > 1) && (true or 1 / 0 > 0)", "", (0.0,), P.SUCCESSFUL),
        ("len(result) > 0 and result[0] + 1 * 2 == 3 and 2 ** 3 == 8", "", (1.0,), P.SUCCESSFUL),
        ("count(result, # > 1) == 2", "", (1.0, 2.0, 3.0), P.SUCCESSFUL),
    ],
)
def test_phase_table(success: str, failure: str, result: object, phase: P) -> None:
    outcome = evaluate_result(result, success, failure)  # type: ignore[arg-type]
    assert outcome.phase == phase, outcome.message


@pytest.mark.parametrize(
    ("condition", "result", "message"),
    [
        # static typing against the env value (docs/parity.md, "The condition language")
        ("result > 0.9", (0.95,), "invalid operation: > (mismatched types []float64 and float64)"),
        ("result[0] > 0.9", 0.95, "type float64[int] is undefined"),
        ("result == 10", (1.0,), "invalid operation: == (mismatched types []float64 and int)"),
        ("isNaN(result)", (1.0,), "cannot use []float64 as argument (type float64) to call isNaN "),
        ("len(result) > 0", 1.0, "invalid argument for len (type float64)"),
        ("all(result, # > 1)", 1.0, "builtin all takes only array (got float64)"),
        ("not result[0]", (1.0,), "invalid operation: not (mismatched type float64)"),
        ("result[0] ", (2.0,), "expected bool, but got float64"),
        ("result[3] > 1", (2.0,), "index out of range: 3 (array length is 1)"),
        ("foo > 1", 1.0, "unknown name foo"),
        ("result[0] >", (1.0,), "unexpected token EOF"),
        ("asInt('x') > 1", 1.0, 'strconv.ParseInt: parsing "x": invalid syntax'),
    ],
)
def test_evaluation_errors_are_measurement_errors(
    condition: str, result: object, message: str
) -> None:
    outcome = evaluate_result(result, condition, "")  # type: ignore[arg-type]
    assert outcome.phase == P.ERROR
    assert outcome.message == f'could not evaluate successCondition "{condition}": {message}'


def test_empty_result_error_message_is_argo_v110s() -> None:
    outcome = evaluate_result((), "result[0] >= 0.95", "")
    assert outcome.phase == P.ERROR
    assert (
        outcome.message == f'could not evaluate successCondition "result[0] >= 0.95": {EMPTY_MSG}'
    )


def test_failure_condition_error_names_it_and_success_is_evaluated_first() -> None:
    outcome = evaluate_result((1.0,), "result[0] > 0", "result > 1")
    assert outcome.message.startswith('could not evaluate failureCondition "result > 1"')
    outcome = evaluate_result((1.0,), "result > 0", "result > 1")
    assert outcome.message.startswith('could not evaluate successCondition "result > 0"')


def test_short_circuit_protects_the_index() -> None:
    assert eval_condition((), "len(result) == 0 || result[0] > 1") is True
    with pytest.raises(ExprError, match="index out of range: 0"):
        eval_condition((), "result[0] > 1 || len(result) == 0")


def test_precedence_matches_expr() -> None:
    assert eval_condition(1.0, "1 + 2 * 3 == 7")
    assert eval_condition(1.0, "true || false && false")
    assert eval_condition(1.0, "-2 ** 2 == -4")
    assert eval_condition(1.0, "2 ** 3 ** 2 == 512")  # right associative


@pytest.mark.parametrize(
    ("condition", "supported"),
    [
        ("result[0] >= 0.95", True),
        ("median(result) > 1", False),
        ("result[0:2] == [1]", False),
        ("now() > 1", False),
        ("bogus(result) > 1", True),  # a real Argo error (unknown name), not a harness limit
    ],
)
def test_unsupported_constructs_are_reported_up_front(condition: str, supported: bool) -> None:
    assert (unsupported_reason(condition) is None) is supported


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.95, "0.95"), (1.0, "1"), (100.0, "100"), (1e20, "100000000000000000000"),
     (1e-7, "0.0000001"), (NAN, "NaN"), (INF, "+Inf"), (-INF, "-Inf"), (-0.0, "-0"),
     (0.1 + 0.2, "0.30000000000000004")],
)  # fmt: skip
def test_values_print_like_go_formatfloat(value: float, text: str) -> None:
    from harness.analysis.expr_eval import format_float

    assert format_float(value) == text
