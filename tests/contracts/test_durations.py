"""The one duration grammar and each reader's wrapper: what every reader accepts and refuses.

The readers accepted and refused exactly these inputs before they shared the grammar; the
table pins that down, one row per input and reader.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.analysis.durations import parse_duration as go
from harness.chaos.local.faults import parse_duration_ms as fixed_delay_ms
from harness.contracts.durations import (
    GO_UNITS,
    HARNESS_UNITS,
    Dialect,
    NotADuration,
    Part,
    parse,
    split,
)
from harness.errors import BadInput
from harness.load.options import parse_duration as run_time
from harness.mesh.istio_model import parse_duration as istio
from harness.scenario.durations import parse_duration as scenario

Reader = Callable[..., float]

# (reader, input, seconds / milliseconds for fixed_delay_ms)
ACCEPTED: list[tuple[Reader, object, float]] = [
    (scenario, "30s", 30),
    (scenario, "1m30s", 90),
    (scenario, "250ms", 0.25),
    (scenario, "2h", 7200),
    (scenario, " 1.5s ", 1.5),
    (scenario, "1s1s", 2),  # parts may repeat and come in any order
    (scenario, "30s1m", 90),
    (scenario, 5, 5),
    (scenario, 2.5, 2.5),
    (scenario, 0, 0),
    (go, "30s", 30),
    (go, "5m", 300),
    (go, "1h30m", 5400),
    (go, "1.5s", 1.5),
    (go, "300ms", 0.3),
    (go, "0", 0),
    (go, "-0", 0),
    (go, "+5s", 5),
    (go, "-1m", -60),
    (go, ".5s", 0.5),
    (go, "5.s", 5),
    (go, "1us", 1e-6),
    (go, "1µs", 1e-6),
    (go, "1μs", 1e-6),
    (go, "2ns", 2e-9),
    (istio, "2s", 2),
    (istio, "500ms", 0.5),
    (istio, "1m30s", 90),
    (istio, "0.25s", 0.25),
    (istio, "1h", 3600),
    (istio, " 10s ", 10),
    (istio, "0s", 0),
    (istio, "3us", 3e-6),
    (istio, "3µs", 3e-6),
    (fixed_delay_ms, "500ms", 500),
    (fixed_delay_ms, "2s", 2000),
    (fixed_delay_ms, "1.5s", 1500),
    (fixed_delay_ms, "1m", 60_000),
    (fixed_delay_ms, " 500 ms ", 500),
    (fixed_delay_ms, "0.6ms", 1),
    (run_time, "90", 90),
    (run_time, "30s", 30),
    (run_time, "1m30s", 90),
    (run_time, "1h", 3600),
    (run_time, "1h30", 3630),  # a bare trailing number is seconds
    (run_time, "1m30", 90),
    (run_time, "1.5", 1.5),
    (run_time, "1h2m3.5s", 3723.5),
    (run_time, " 5m ", 300),
]

# (reader, input, the message it fails with)
REFUSED: list[tuple[Reader, object, str]] = [
    (scenario, "", "is not a duration; write it like 30s"),
    (scenario, "5", "is not a duration"),
    (scenario, "5x", "is not a duration"),
    (scenario, "1d", "is not a duration"),
    (scenario, "-1s", "is not a duration"),
    (scenario, ".5s", "is not a duration"),
    (scenario, "1 s", "is not a duration"),
    (scenario, "1us", "is not a duration"),
    (scenario, True, "expected a duration such as 30s"),
    (scenario, None, "expected a duration such as 30s"),
    (scenario, -1, "must be zero or positive"),
    (scenario, float("nan"), "must be zero or positive"),
    (go, "", 'time: invalid duration ""'),
    (go, "1d", 'time: unknown unit "d" in duration "1d"'),
    (go, "10", 'time: missing unit in duration "10"'),
    (go, "1.5.5s", 'time: missing unit in duration "1.5.5s"'),
    (go, "s", 'time: invalid duration "s"'),
    (go, "1x", 'time: unknown unit "x" in duration "1x"'),
    (go, "+", 'time: invalid duration "+"'),
    (go, ".s", 'time: invalid duration ".s"'),
    (go, " 1s", 'time: invalid duration " 1s"'),  # Go does not strip blanks
    (go, "1s ", 'time: unknown unit "s " in duration "1s "'),
    (istio, "", "empty duration"),
    (istio, "  ", "empty duration"),
    (istio, "0", "invalid duration '0'"),
    (istio, "-1s", "invalid duration"),
    (istio, ".5s", "invalid duration"),
    (istio, "1d", "invalid duration '1d' (use e.g. 500ms, 2s, 1m)"),
    (istio, "1μs", "invalid duration"),  # Greek mu: Go has it, the mesh never did
    (fixed_delay_ms, "1m30s", "is not a duration (write e.g. 500ms or 2s)"),
    (fixed_delay_ms, "500", "is not a duration"),
    (fixed_delay_ms, 500, "is not a duration"),
    (fixed_delay_ms, "", "is not a duration"),
    (fixed_delay_ms, "5us", "is not a duration"),
    (fixed_delay_ms, "-5ms", "is not a duration"),
    (fixed_delay_ms, "0.4ms", "below Istio's 1ms minimum"),
    (fixed_delay_ms, "0s", "below Istio's 1ms minimum"),
    (run_time, "", "--run-time: '' is not a duration (use e.g. 30s, 5m, 1h30m)"),
    (run_time, "abc", "is not a duration"),
    (run_time, "5x", "is not a duration"),
    (run_time, "-3", "is not a duration"),
    (run_time, "500ms", "is not a duration"),
    (run_time, "1.5h", "is not a duration"),  # whole hours and minutes only
    (run_time, "1.5m", "is not a duration"),
    (run_time, "1s1s", "is not a duration"),  # each unit once
    (run_time, "30s1m", "is not a duration"),  # in the order h, m, s
    (run_time, "1h 30m", "is not a duration"),
    (run_time, "5.", "is not a duration"),
    (run_time, "0s", "must be longer than 0 seconds"),
    (run_time, "0", "must be longer than 0 seconds"),
]


def _id(row: tuple[Reader, object, object]) -> str:
    return f"{row[0].__module__.rsplit('.', 1)[-1]}:{row[1]!r}"


@pytest.mark.parametrize(("reader", "value", "expected"), ACCEPTED, ids=map(_id, ACCEPTED))
def test_accepted(reader: Reader, value: object, expected: float) -> None:
    assert reader(value) == pytest.approx(expected)


@pytest.mark.parametrize(("reader", "value", "message"), REFUSED, ids=map(_id, REFUSED))
def test_refused(reader: Reader, value: object, message: str) -> None:
    with pytest.raises((ValueError, BadInput)) as info:
        reader(value)
    assert message in str(info.value)
    # The harness's own readers speak its error tree; the others raise plain ValueError,
    # which pydantic turns into a field error.
    wants_bad_input = reader in (fixed_delay_ms, run_time)
    assert isinstance(info.value, BadInput) is wants_bad_input


def test_run_time_names_the_option() -> None:
    with pytest.raises(BadInput, match=r"^--duration: "):
        run_time("nope", option="--duration")


def test_fixed_delay_is_whole_milliseconds() -> None:
    assert fixed_delay_ms("1.4ms") == 1
    assert isinstance(fixed_delay_ms("2s"), int)


class TestGrammar:
    """The grammar itself: parts from end to end, a unit is the whole run up to a digit."""

    harness = Dialect(HARNESS_UNITS)

    def test_parts_keep_the_text_as_written(self) -> None:
        assert split("1m30.5s", self.harness) == (Part("1", "m"), Part("30.5", "s"))

    def test_ms_is_one_unit_not_minutes_and_junk(self) -> None:
        assert parse("1ms", self.harness) == pytest.approx(0.001)

    @pytest.mark.parametrize(
        ("text", "reason", "unit"),
        [
            ("", "empty", ""),
            ("x", "number", ""),
            ("1", "no unit", ""),
            ("1.5.5s", "no unit", ""),
            ("1hm", "unknown unit", "hm"),
            ("1 s", "unknown unit", " s"),
        ],
    )
    def test_why_text_is_not_a_duration(self, text: str, reason: str, unit: str) -> None:
        with pytest.raises(NotADuration) as info:
            split(text, self.harness)
        assert (info.value.reason, info.value.unit) == (reason, unit)

    def test_go_numbers(self) -> None:
        go_dialect = Dialect(GO_UNITS, go_numbers=True)
        assert parse(".5s5.s", go_dialect) == pytest.approx(5.5)
        with pytest.raises(NotADuration):
            split(".5s", self.harness)

    def test_space_before_unit(self) -> None:
        spaced = Dialect(HARNESS_UNITS, space_before_unit=True)
        assert parse("5 s", spaced) == 5.0
        with pytest.raises(NotADuration):
            split("5 s", self.harness)

    def test_scale_is_the_dialects(self) -> None:
        in_ms = Dialect({"s": 1000.0, "ms": 1.0})
        assert parse("1s250ms", in_ms) == 1250.0
