"""Run ranges as users type them, and every way of typing one wrong."""

from __future__ import annotations

import numpy as np
import pytest

from alpaca_dash.run_range import RunRange, RunRangeError, check_run_range, parse_run_range, to_run_range


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("390100-390180", 390100, 390180),
        ("390100..390180", 390100, 390180),
        ("390100:390180", 390100, 390180),
        ("390123", 390123, 390123),
        ("  390100 - 390180  ", 390100, 390180),
        ("390100 .. 390180", 390100, 390180),
        ("\t390123\n", 390123, 390123),
        ("390123-390123", 390123, 390123),
        ("0", 0, 0),
    ],
)
def test_parses_ranges_and_single_runs(text: str, first: int, last: int) -> None:
    parsed = parse_run_range(text, max_runs=1000)
    assert parsed == RunRange(first, last)
    assert len(parsed) == last - first + 1


def test_a_range_prints_as_it_is_typed() -> None:
    assert str(parse_run_range("390100..390180", max_runs=1000)) == "390100-390180"


def test_a_range_of_exactly_max_runs_is_allowed() -> None:
    assert len(parse_run_range("1-100", max_runs=100)) == 100


def test_reversed_range_is_refused() -> None:
    with pytest.raises(RunRangeError, match="reversed"):
        parse_run_range("390180-390100", max_runs=1000)


@pytest.mark.parametrize("text", ["-5", "-5-10", "390100--390180", "390100-(-3)"])
def test_negative_run_numbers_are_refused(text: str) -> None:
    with pytest.raises(RunRangeError):
        parse_run_range(text, max_runs=1000)


def test_negative_numbers_are_refused_when_checked_directly() -> None:
    with pytest.raises(RunRangeError, match="negative"):
        check_run_range(-1, 5, max_runs=1000)


def test_range_larger_than_max_runs_is_refused() -> None:
    with pytest.raises(RunRangeError, match="101 runs, more than the limit of 100"):
        parse_run_range("1-101", max_runs=100)


def test_run_beyond_the_database_integer_is_refused() -> None:
    with pytest.raises(RunRangeError, match="beyond the largest run number"):
        parse_run_range(str(2**31), max_runs=1000)


@pytest.mark.parametrize(
    "text", ["", "   ", "abc", "390100-", "-", "390100-390180-390190", "3901OO", "1.5", "390100 390180", "1e6", "0x10"]
)
def test_garbage_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(RunRangeError, match="expected A-B or a single run number"):
        parse_run_range(text, max_runs=1000)


def test_run_range_error_is_a_value_error() -> None:
    assert issubclass(RunRangeError, ValueError)


@pytest.mark.parametrize(
    ("runs", "first", "last"),
    [
        (390123, 390123, 390123),
        (np.int64(390123), 390123, 390123),
        ("390100-390180", 390100, 390180),
        ((390100, 390180), 390100, 390180),
        ([390100, 390180], 390100, 390180),
        ((np.int32(5), 7), 5, 7),
        (range(390100, 390181), 390100, 390180),
        (RunRange(3, 4), 3, 4),
    ],
)
def test_the_api_takes_numbers_tuples_ranges_and_text(runs: object, first: int, last: int) -> None:
    assert to_run_range(runs, max_runs=1000) == RunRange(first, last)


@pytest.mark.parametrize(
    ("runs", "fragment"),
    [
        (3.5, "got float 3.5"),
        (True, "got the bool True"),
        (None, "got NoneType None"),
        ((1, 2, 3), "tuple of 3 items"),
        ((1, "2"), "got str '2'"),
        (range(10, 20, 2), "has step 2"),
        (range(10, 10), "is empty"),
        ((5, 1), "reversed"),
        (-1, "negative"),
        (range(0, 5000), "more than the limit of 1000"),
        (RunRange(0, 5000), "more than the limit of 1000"),
        ("x" * 100, "bad run range"),
    ],
)
def test_anything_else_is_a_clear_range_error(runs: object, fragment: str) -> None:
    with pytest.raises(RunRangeError, match=None) as caught:
        to_run_range(runs, max_runs=1000)
    assert fragment in str(caught.value)
