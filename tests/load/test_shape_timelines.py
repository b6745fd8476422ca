"""The five load shapes as pure timelines: what users count a shape asks for, second by second."""

from __future__ import annotations

import pytest

from loadtests.shapes import timeline as tl
from loadtests.shapes.timeline import ShapeParams

P = ShapeParams(users=10, peak=50, duration=100, spawn_rate=5, steps=5)


def users(shape: str, t: float, p: ShapeParams = P) -> int | None:
    tick = tl.TIMELINES[shape](p, t)
    return None if tick is None else tick[0]


@pytest.mark.parametrize("shape", sorted(tl.TIMELINES))
def test_every_shape_stops_the_test_at_its_duration(shape: str) -> None:
    assert users(shape, 99.9) is not None
    assert users(shape, 100) is None
    assert users(shape, 250) is None


def test_steady_holds_its_users() -> None:
    assert {users("steady", t) for t in range(100)} == {10}
    assert tl.steady(P, 5) == (10, 5)


def test_ramp_climbs_linearly_then_holds_the_peak() -> None:
    assert users("ramp", 0) == 10
    assert users("ramp", 40) == 30  # half-way up an 80 s climb
    assert users("ramp", 80) == 50
    assert users("ramp", 95) == 50
    series = [users("ramp", t) for t in range(100)]
    assert series == sorted(series)  # type: ignore[type-var]  # no None before the end


def test_step_has_equal_levels_from_users_to_peak() -> None:
    assert [users("step", t) for t in (0, 19, 20, 40, 60, 80, 99)] == [10, 10, 20, 30, 40, 50, 50]


def test_spike_jumps_to_the_peak_in_the_middle_fifth_and_back() -> None:
    assert [users("spike", t) for t in (0, 39.9, 40, 59.9, 60, 99)] == [10, 10, 50, 50, 10, 10]
    # the jump is not throttled by a slow spawn rate: it arrives within a second
    assert tl.spike(P, 40) == (50, 40.0)


def test_double_wave_has_two_crests_and_a_trough() -> None:
    assert users("double_wave", 0) == 10
    assert users("double_wave", 25) == 50
    assert users("double_wave", 50) == 10
    assert users("double_wave", 75) == 50
    assert 10 < users("double_wave", 40) < 50  # type: ignore[operator]


def test_invalid_parameters_are_named() -> None:
    bad = ShapeParams(users=-1, peak=0, duration=0, spawn_rate=0, steps=1)
    assert [line.split(":")[0] for line in bad.problems()] == [
        "users",
        "peak",
        "duration",
        "spawn_rate",
        "steps",
    ]
    assert P.problems() == []
