"""The books probe's judgement: what counts as a saga left half-done (pure, no stack)."""

from __future__ import annotations

from harness.chaos.books import Books


def books(**changes: object) -> Books:
    base: dict[str, object] = {
        "bound_s": 15.0,
        "interval_s": 5.0,
        "pending": {},
        "live": frozenset({"o-1", "o-2"}),
        "failed": frozenset({"o-3"}),
        "held": frozenset({"o-1"}),
        "charges": {"p-1": "o-1"},
    }
    return Books(**{**base, **changes})  # type: ignore[arg-type]


def test_balanced_books_have_no_problem() -> None:
    assert books().problems() == set()


def test_a_pending_order_counts_only_once_it_outlived_the_recovery_bound() -> None:
    young = books(pending={"o-2": 3.0})
    assert young.problems() == set()
    old = books(pending={"o-2": 16.0})
    assert old.problems() == {"order o-2 is still pending, older than the recovery bound of 15s"}


def test_stock_held_for_a_failed_or_unknown_order() -> None:
    found = books(held=frozenset({"o-1", "o-3", "ghost"})).problems()
    assert found == {
        "reservation o-3 holds stock without a live order",
        "reservation ghost holds stock without a live order",
    }


def test_money_taken_for_a_failed_or_unknown_order() -> None:
    found = books(charges={"p-1": "o-1", "p-2": "o-3", "p-3": "ghost"}).problems()
    assert found == {
        "payment p-2 charged failed order o-3",
        "payment p-3 charged order ghost, which order-service does not know",
    }


def test_problems_read_the_same_in_two_reads() -> None:
    """The probe counts a problem present in two reads: its text must not carry an age."""
    first = books(pending={"o-2": 16.0}).problems()
    second = books(pending={"o-2": 17.0}).problems()
    assert first == second
