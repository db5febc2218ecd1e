"""Quality checks as data: one pydantic model per kind of check, exported and imported as JSON.

Every check names one observable. Bounds nest (alarm outside warn), p-values lie in (0, 1) with the alarm one the
smaller, and a model that breaks either is refused before anything is stored.
"""

from __future__ import annotations

import itertools
import math
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from alpaca_dash.domain import ObservableKind

#: the array statistics a check can bound (``count`` is the array's size: a shape check, not a quality one)
CheckStatistic = Literal["min", "max", "mean", "std", "sum", "nan_count"]
CHECK_STATISTICS: tuple[CheckStatistic, ...] = ("min", "max", "mean", "std", "sum", "nan_count")
EXPORT_VERSION = 1


class CheckState(StrEnum):
    """A check's verdict on one run."""

    OK = "ok"
    WARN = "warn"
    ALARM = "alarm"
    ERROR = "error"
    NODATA = "nodata"


#: worst first: an alarm says the data is bad, an error that the check could not tell
SEVERITY: dict[CheckState, int] = {
    CheckState.ALARM: 4,
    CheckState.ERROR: 3,
    CheckState.WARN: 2,
    CheckState.NODATA: 1,
    CheckState.OK: 0,
}


class CheckError(ValueError):
    """A check or a file of checks that cannot be stored, with the reason in words."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bounds(_Model):
    """Warn and alarm limits; any may be open, those given nest: alarm_low ≤ warn_low ≤ warn_high ≤ alarm_high."""

    alarm_low: float | None = None
    warn_low: float | None = None
    warn_high: float | None = None
    alarm_high: float | None = None

    @model_validator(mode="after")
    def _nest(self) -> Bounds:
        given = [(name, getattr(self, name)) for name in ("alarm_low", "warn_low", "warn_high", "alarm_high")]
        given = [(name, value) for name, value in given if value is not None]
        if not given:
            raise ValueError("bounds need at least one of alarm_low, warn_low, warn_high, alarm_high")
        for name, value in given:
            if not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, not {value}")
        for (low_name, low), (high_name, high) in itertools.pairwise(given):
            if low > high:
                raise ValueError(f"bounds do not nest: {low_name} {low:g} is above {high_name} {high:g}")
        return self

    def judge(self, value: float) -> CheckState:
        """``alarm`` outside the alarm bounds, ``warn`` outside the warn bounds, else ``ok``; NaN is no data."""
        if math.isnan(value):
            return CheckState.NODATA
        if (self.alarm_low is not None and value < self.alarm_low) or (
            self.alarm_high is not None and value > self.alarm_high
        ):
            return CheckState.ALARM
        if (self.warn_low is not None and value < self.warn_low) or (
            self.warn_high is not None and value > self.warn_high
        ):
            return CheckState.WARN
        return CheckState.OK

    def describe(self, state: CheckState = CheckState.OK) -> str:
        """The interval a value in ``state`` is outside of (``the alarm bounds [-1.5, 1.5]``), or for ``ok`` the one
        it is within (the warn bounds, else the alarm bounds)."""
        if state is CheckState.ALARM:
            return f"the alarm bounds {_interval(self.alarm_low, self.alarm_high)}"
        if state is CheckState.WARN:
            return f"the warn bounds {_interval(self.warn_low, self.warn_high)}"
        low = self.warn_low if self.warn_low is not None else self.alarm_low
        high = self.warn_high if self.warn_high is not None else self.alarm_high
        return _interval(low, high)


def _interval(low: float | None, high: float | None) -> str:
    return f"[{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}]"


class _Check(_Model):
    name: str = Field(min_length=1, max_length=200, description="Unique; results and silences refer to it.")
    observable: str = Field(min_length=1, description="The exact observable name.")
    enabled: bool = True
    description: str = ""


class ScalarCheck(_Check):
    """A scalar's value within bounds."""

    kind: Literal["scalar"] = "scalar"
    bounds: Bounds


class StatisticCheck(_Check):
    """A statistic of a 1D or 2D array within bounds."""

    kind: Literal["statistic"] = "statistic"
    statistic: CheckStatistic
    bounds: Bounds


class ReferenceCheck(_Check):
    """A waveform or histogram against a reference run: Kolmogorov-Smirnov or χ², judged by its p-value.

    ``reference_run`` None takes the newest good run before the judged one. With ``counts`` the array is a histogram
    (one count per bin) and χ² compares the bins directly; otherwise both arrays are samples, binned alike for χ².
    """

    kind: Literal["reference"] = "reference"
    test: Literal["ks", "chi2"]
    warn_p: float = 0.01
    alarm_p: float = 0.001
    reference_run: int | None = Field(default=None, ge=0, lt=2**31)
    bins: int = Field(default=50, ge=2, le=10_000)
    counts: bool = False

    @model_validator(mode="after")
    def _p_values(self) -> ReferenceCheck:
        for name in ("warn_p", "alarm_p"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ValueError(f"{name} must lie in (0, 1), not {value:g}")
        if self.alarm_p > self.warn_p:
            raise ValueError(f"alarm_p {self.alarm_p:g} must not be above warn_p {self.warn_p:g}")
        if self.counts and self.test != "chi2":
            raise ValueError("counts (a histogram's bins) can only be compared by chi2")
        return self


class ImageCheck(_Check):
    """An image's sum, or its fraction of hot or dead pixels against a reference run, within bounds.

    A pixel is hot (dead) when it exceeds (falls short of) the reference pixel by more than ``sigma`` robust
    standard deviations (1.4826 x MAD) of the image's difference to the reference.
    """

    kind: Literal["image"] = "image"
    measure: Literal["hot_fraction", "dead_fraction", "sum"]
    bounds: Bounds
    reference_run: int | None = Field(default=None, ge=0, lt=2**31)
    sigma: float = Field(default=5.0, gt=0, le=1000)


class HistoryCheck(_Check):
    """A value or statistic more than k robust standard deviations (median, 1.4826 x MAD) from the last good runs."""

    kind: Literal["history"] = "history"
    statistic: Literal["value", "min", "max", "mean", "std", "sum", "nan_count"] = "value"
    k_warn: float = Field(default=3.0, gt=0)
    k_alarm: float = Field(default=5.0, gt=0)
    last_runs: int = Field(default=20, ge=3, le=1000)

    @model_validator(mode="after")
    def _nest(self) -> HistoryCheck:
        if self.k_warn > self.k_alarm:
            raise ValueError(f"k_warn {self.k_warn:g} must not be above k_alarm {self.k_alarm:g}")
        return self


Check = Annotated[
    ScalarCheck | StatisticCheck | ReferenceCheck | ImageCheck | HistoryCheck, Field(discriminator="kind")
]
_CHECKS: TypeAdapter[list[Check]] = TypeAdapter(list[Check])
_CHECK: TypeAdapter[Check] = TypeAdapter(Check)

#: the observable kinds each kind of check applies to
CHECK_KINDS: dict[str, tuple[ObservableKind, ...]] = {
    "scalar": (ObservableKind.SCALAR,),
    "statistic": (ObservableKind.ARRAY1D, ObservableKind.ARRAY2D),
    "reference": (ObservableKind.ARRAY1D,),
    "image": (ObservableKind.ARRAY2D,),
    "history": (ObservableKind.SCALAR, ObservableKind.ARRAY1D, ObservableKind.ARRAY2D),
}


def reference_run_of(check: Check) -> int | None:
    """The fixed reference run a check names, if any."""
    return check.reference_run if isinstance(check, ReferenceCheck | ImageCheck) else None


def parse_check(data: Any) -> Check:
    """One check from its JSON form.

    :raises CheckError: saying what is wrong, in words.
    """
    try:
        return _CHECK.validate_python(data)
    except ValidationError as exc:
        raise CheckError(describe_errors(exc, data)) from None


def parse_checks(exported: Any) -> list[Check]:
    """The checks of an exported document (``{"version": 1, "checks": [...]}``) or a bare list of checks.

    :raises CheckError: for a malformed document, a bad check (naming it) or a name used twice.
    """
    items = exported.get("checks") if isinstance(exported, dict) else exported
    if isinstance(exported, dict) and exported.get("version", EXPORT_VERSION) != EXPORT_VERSION:
        raise CheckError(f"unsupported checks file version {exported.get('version')!r} (expected {EXPORT_VERSION})")
    if not isinstance(items, list):
        raise CheckError('expected a list of checks or {"version": 1, "checks": [...]}')
    try:
        checks = _CHECKS.validate_python(items)
    except ValidationError as exc:
        raise CheckError(describe_errors(exc, items)) from None
    seen: set[str] = set()
    for check in checks:
        if check.name in seen:
            raise CheckError(f"check name {check.name!r} is used twice")
        seen.add(check.name)
    return checks


def export_document(checks: list[Check]) -> dict[str, Any]:
    """The JSON document ``parse_checks`` reads back."""
    return {"version": EXPORT_VERSION, "checks": [check.model_dump(mode="json") for check in checks]}


#: how each bound reads in a list of checks: the state a value gets beyond it
_BOUND_TEXT = {
    "alarm_low": "alarm < {:g}",
    "warn_low": "warn < {:g}",
    "warn_high": "warn > {:g}",
    "alarm_high": "alarm > {:g}",
}


def describe_settings(check: Check) -> str:
    """A check's own settings in one line (``statistic=max, alarm < 100, warn > 280``), for lists of checks."""
    data = check.model_dump(exclude={"name", "observable", "enabled", "description", "kind"}, exclude_none=True)
    parts: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict) and value and set(value) <= set(_BOUND_TEXT):
            parts.extend(_BOUND_TEXT[name].format(value[name]) for name in _BOUND_TEXT if name in value)
        elif isinstance(value, float):
            parts.append(f"{key}={value:g}")
        else:
            parts.append(f"{key}={value}")
    return ", ".join(parts)


def describe_errors(exc: ValidationError, data: Any) -> str:
    """A pydantic error as one line per problem, naming the check by its name where it has one."""
    lines = []
    for error in exc.errors():
        location = list(error["loc"])
        prefix = ""
        first = location[0] if location else None
        if isinstance(first, int) and isinstance(data, list):
            index = first
            location.pop(0)
            item = data[index] if index < len(data) else None
            name = item.get("name") if isinstance(item, dict) else None
            prefix = f"check {name!r}: " if name else f"check #{index + 1}: "
        location = [part for part in location if part not in _CHECK_TAGS]
        where = ".".join(str(part) for part in location)
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{prefix}{where + ': ' if where else ''}{message}")
    return "; ".join(lines)


_CHECK_TAGS = set(CHECK_KINDS)
