"""What every chart type's options share: the strict base model and the warn / alarm bounds."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

Unit = Annotated[str, Field(max_length=40)]


class Strict(BaseModel):
    """Frozen and closed: an unknown field is an error, not ignored; NaN and infinities are no bound, threshold or
    size (and JSONB could not keep them)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ChartOptions(Strict):
    """The options of one chart type; each type declares its own subclass in its module."""


#: (lower, upper, whether they may be equal): the warn band lies inside the alarm band, each low below each high
BOUND_ORDER = (
    ("alarm_low", "warn_low", True),
    ("warn_high", "alarm_high", True),
    ("warn_low", "warn_high", False),
    ("alarm_low", "alarm_high", False),
    ("warn_low", "alarm_high", False),
    ("alarm_low", "warn_high", False),
)
BOUND_NAMES = ("warn_low", "warn_high", "alarm_low", "alarm_high")


class BoundedOptions(ChartOptions):
    """Options of a chart type whose value is judged: warn and alarm outside these bounds (None: no bound)."""

    warn_low: float | None = None
    warn_high: float | None = None
    alarm_low: float | None = None
    alarm_high: float | None = None

    @model_validator(mode="after")
    def _check_bounds(self) -> BoundedOptions:
        problem = bounds_problem(self)
        if problem:
            raise ValueError(problem)
        return self

    def has_bounds(self) -> bool:
        return any(getattr(self, name) is not None for name in BOUND_NAMES)


def bounds_problem(options: BoundedOptions) -> str:
    """What is wrong with the warn / alarm bounds of ``options``, or "" when they make sense."""
    given = {name: getattr(options, name) for name in BOUND_NAMES}
    for name, value in given.items():
        if value is not None and not math.isfinite(value):
            return f"{name.replace('_', ' ')} must be a finite number"
    for low, high, may_equal in BOUND_ORDER:
        a, b = given[low], given[high]
        if a is None or b is None or a < b or (may_equal and a == b):
            continue
        if may_equal:
            return f"the warn bounds must lie within the alarm bounds: {_bound(low, a)} is above {_bound(high, b)}"
        return f"{_bound(low, a)} must be below {_bound(high, b)}"
    return ""


def _bound(name: str, value: float) -> str:
    return f"{name.replace('_', ' ')} ({value:g})"
