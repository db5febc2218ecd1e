"""Run ranges as users type them: ``390100-390180`` or a single ``390123``, bounded."""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass

from alpaca_dash.domain import INT32_LIMIT

#: ASCII digits only: ``int()`` also takes other scripts' digits, and ``str.isdigit()`` even superscripts
_RANGE = re.compile(r"\s*([0-9]+)\s*(?:(?:-|\.\.|:)\s*([0-9]+))?\s*", re.ASCII)
_NUMBER = re.compile(r"\s*([0-9]+)\s*", re.ASCII)
#: the largest run number (runs are 32-bit integers in the database)
MAX_RUN = INT32_LIMIT - 1
MAX_DIGITS = len(str(MAX_RUN))


class RunRangeError(ValueError):
    """A run range that is malformed, reversed, or larger than allowed."""


@dataclass(frozen=True)
class RunRange:
    first: int
    last: int

    def __len__(self) -> int:
        return self.last - self.first + 1

    def __str__(self) -> str:
        return f"{self.first}-{self.last}"


def parse_run_range(text: str, *, max_runs: int) -> RunRange:
    """Parse ``A-B`` (also ``A..B`` or ``A:B``) or ``A``.

    :raises RunRangeError: when the text is not a range of non-negative integers, is reversed, or spans more than
        ``max_runs`` runs.
    """
    match = _RANGE.fullmatch(text)
    if match is None:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise RunRangeError(f"bad run range {shown!r}: expected A-B or a single run number, e.g. 390100-390180")
    first = _number(match.group(1))
    last = _number(match.group(2)) if match.group(2) is not None else first
    return check_run_range(first, last, max_runs=max_runs)


def _number(digits: str) -> int:
    if len(digits.lstrip("0")) > MAX_DIGITS:
        raise RunRangeError(f"run {digits[:12]}… is beyond the largest run number {MAX_RUN}")
    return int(digits)


def parse_run_number(text: str | None) -> int | None:
    """A single run number as typed (ASCII digits, at most ``MAX_RUN``), or None for anything else."""
    match = _NUMBER.fullmatch(text or "")
    if match is None or len(match.group(1).lstrip("0")) > MAX_DIGITS:
        return None
    run = int(match.group(1))
    return run if run <= MAX_RUN else None


def run_from_field(value: float | None) -> int | None:
    """The whole number a number field holds, or None for empty, NaN or an infinity (what ``1e999`` or thousands of
    typed digits become); a value beyond ``MAX_RUN`` stays as it is, and names no run."""
    if value is None or not math.isfinite(value):
        return None
    return int(value)


def bound_from_field(value: float | None) -> int | None:
    """A filter bound from a number field: an infinity is a bound beyond every run; None for empty or NaN."""
    if value is None or math.isnan(value):
        return None
    return int(max(min(value, MAX_RUN + 1), -1))


def is_run_number(run: int) -> bool:
    """Whether ``run`` can be a stored run's number (0 to ``MAX_RUN``)."""
    return 0 <= run <= MAX_RUN


def check_run_range(first: int, last: int, *, max_runs: int) -> RunRange:
    """:raises RunRangeError: for a negative, reversed or too large range."""
    if first < 0 or last < 0:
        raise RunRangeError("run numbers cannot be negative")
    if last >= INT32_LIMIT:
        raise RunRangeError(f"run {last} is beyond the largest run number {INT32_LIMIT - 1}")
    if last < first:
        raise RunRangeError(f"reversed run range {first}-{last}: the first run must not be after the last")
    if last - first + 1 > max_runs:
        raise RunRangeError(
            f"run range {first}-{last} spans {last - first + 1} runs, more than the limit of {max_runs} "
            "(ALPACA_DASH_MAX_RANGE)"
        )
    return RunRange(first, last)


#: what the Python API takes for a run range
RunsLike = int | str | range | tuple[int, int] | list[int] | RunRange

_RUNS_LIKE = "a run number, 'A-B', (A, B) or range(A, B + 1)"


def to_run_range(runs: object, *, max_runs: int) -> RunRange:
    """A run range from what a notebook user writes: ``390123``, ``"390100-390180"``, ``(390100, 390180)`` (both
    inclusive), ``range(390100, 390181)`` (the last excluded, as ranges go) or a :class:`RunRange`.

    :raises RunRangeError: for anything else (a float, a bool, a stepped or empty range, a tuple of three), and for
        ranges :func:`check_run_range` refuses.
    """
    if isinstance(runs, RunRange):
        return check_run_range(runs.first, runs.last, max_runs=max_runs)
    if isinstance(runs, str):
        return parse_run_range(runs, max_runs=max_runs)
    if isinstance(runs, range):
        if runs.step != 1:
            raise RunRangeError(f"run ranges are contiguous: {runs!r} has step {runs.step}")
        if len(runs) == 0:
            raise RunRangeError(f"{runs!r} is empty")
        return check_run_range(runs.start, runs.stop - 1, max_runs=max_runs)
    if isinstance(runs, tuple | list):
        if len(runs) != 2:
            raise RunRangeError(f"a run range is {_RUNS_LIKE}; got a {type(runs).__name__} of {len(runs)} items")
        first, last = (_run_number(item) for item in runs)
        return check_run_range(first, last, max_runs=max_runs)
    number = _run_number(runs)
    return check_run_range(number, number, max_runs=max_runs)


def _run_number(value: object) -> int:
    """An integer (numpy integers too), never a bool or a float."""
    if isinstance(value, bool):
        raise RunRangeError(f"a run range is {_RUNS_LIKE}; got the bool {value}")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        shown = repr(value)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise RunRangeError(f"a run range is {_RUNS_LIKE}; got {type(value).__name__} {shown}") from None
