"""One check on one run: its state, value, p-value, the reference used and a message.

The values come through :class:`CheckInputs`, which the pipeline implements over the run it has just stored and the
database; a check never reads storage itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from alpaca_dash.domain import compute_stats
from alpaca_dash.quality import statistics
from alpaca_dash.quality.checks import (
    Bounds,
    Check,
    CheckState,
    HistoryCheck,
    ImageCheck,
    ReferenceCheck,
    ScalarCheck,
    StatisticCheck,
)
from alpaca_dash.types import Array


@dataclass(frozen=True)
class CheckResult:
    state: CheckState
    value: float | None = None
    p_value: float | None = None
    reference_run: int | None = None
    message: str = ""


class CheckInputs(Protocol):
    """What checks read: the judged run's values, a reference run's, and the history of good runs before it."""

    run: int

    def value(self, observable: str) -> Array | None:
        """The judged run's value of ``observable``, None when it has none."""

    def statistic(self, observable: str, statistic: str) -> float | None:
        """A statistic of the judged run's array (``value`` for a scalar), None when it has none."""

    def reference_run(self, fixed: int | None) -> int | None:
        """``fixed`` when given, else the newest good run before the judged one (None when there is none)."""

    def distribution(self, observable: str) -> Array | None:
        """The judged run's finite values of ``observable``, sorted; None when it has none."""

    def reference_value(self, observable: str, run: int) -> Array | None:
        """``observable`` in the reference ``run``, None when that run has none."""

    def reference_distribution(self, observable: str, run: int) -> Array | None:
        """The reference ``run``'s finite values of ``observable``, sorted; None when that run has none."""

    def history(self, observable: str, statistic: str, runs: int) -> Array:
        """The value (``statistic`` ``value``) or statistic in the last ``runs`` good runs before the judged one."""


def evaluate_check(check: Check, inputs: CheckInputs) -> CheckResult:
    """Judge one run by one check; whatever it raises is the caller's to record as an error."""
    if isinstance(check, ScalarCheck):
        return _bounded(check.bounds, inputs.statistic(check.observable, "value"), "value")
    if isinstance(check, StatisticCheck):
        return _bounded(check.bounds, inputs.statistic(check.observable, check.statistic), check.statistic)
    if isinstance(check, ReferenceCheck):
        return _against_reference(check, inputs)
    if isinstance(check, ImageCheck):
        return _image(check, inputs)
    return _history(check, inputs)


def _bounded(bounds: Bounds, value: float | None, what: str, reference: int | None = None) -> CheckResult:
    if value is None:
        return CheckResult(CheckState.NODATA, reference_run=reference, message="no value in this run")
    state = bounds.judge(value)
    if state is CheckState.NODATA:
        return CheckResult(state, value, reference_run=reference, message=f"{what} is NaN")
    where = "within" if state is CheckState.OK else "outside"
    return CheckResult(state, value, None, reference, f"{what} {value:.6g} {where} {bounds.describe(state)}")


@dataclass(frozen=True)
class _Pair:
    """The judged run's array and the reference run's, or why there is no pair (``missing``)."""

    sample: Array | None = None
    reference: Array | None = None
    reference_run: int | None = None
    missing: CheckResult | None = None


def _pair(check: ReferenceCheck | ImageCheck, inputs: CheckInputs) -> _Pair:
    """The run's and the reference's arrays as stored, or, for a test of two samples' distributions, sorted."""
    ordered = isinstance(check, ImageCheck) or check.counts
    sample = inputs.value(check.observable) if ordered else inputs.distribution(check.observable)
    if sample is None:
        return _Pair(missing=CheckResult(CheckState.NODATA, message="no value in this run"))
    run = inputs.reference_run(check.reference_run)
    if run is None:
        return _Pair(missing=CheckResult(CheckState.NODATA, message="no good run before this one to compare with"))
    if ordered:
        reference = inputs.reference_value(check.observable, run)
    else:
        reference = inputs.reference_distribution(check.observable, run)
    if reference is None:
        return _Pair(missing=CheckResult(CheckState.NODATA, reference_run=run, message=f"run {run} has no value"))
    return _Pair(sample, reference, run)


def _against_reference(check: ReferenceCheck, inputs: CheckInputs) -> CheckResult:
    pair = _pair(check, inputs)
    if pair.missing is not None:
        return pair.missing
    assert pair.sample is not None and pair.reference is not None
    sample, reference, reference_run = pair.sample, pair.reference, pair.reference_run
    if not check.counts and (statistics.finite(sample).size == 0 or statistics.finite(reference).size == 0):
        return CheckResult(CheckState.NODATA, reference_run=reference_run, message="no finite values")
    if check.test == "ks":
        outcome = statistics.ks_test(sample, reference)
        label = "KS D"
    else:
        if check.counts:
            outcome = statistics.chi2_counts(sample, reference)
        else:
            outcome = statistics.chi2_samples(sample, reference, check.bins)
        label = "χ²"
    p = outcome.p_value
    state = CheckState.ALARM if p < check.alarm_p else CheckState.WARN if p < check.warn_p else CheckState.OK
    message = f"{label} {outcome.statistic:.4g}, p {p:.3g} against run {reference_run}"
    return CheckResult(state, outcome.statistic, p, reference_run, message)


def _image(check: ImageCheck, inputs: CheckInputs) -> CheckResult:
    if check.measure == "sum":
        return _bounded(check.bounds, inputs.statistic(check.observable, "sum"), "sum")
    pair = _pair(check, inputs)
    if pair.missing is not None:
        return pair.missing
    assert pair.sample is not None and pair.reference is not None
    fractions = statistics.pixel_fractions(pair.sample, pair.reference, check.sigma)
    value = fractions.hot if check.measure == "hot_fraction" else fractions.dead
    what = "hot pixels" if check.measure == "hot_fraction" else "dead pixels"
    return _bounded(check.bounds, value, f"{what} fraction", pair.reference_run)


def _history(check: HistoryCheck, inputs: CheckInputs) -> CheckResult:
    value = inputs.statistic(check.observable, check.statistic)
    if value is None or not math.isfinite(value):
        return CheckResult(CheckState.NODATA, value, message="no finite value in this run")
    past = inputs.history(check.observable, check.statistic, check.last_runs)
    deviation = statistics.robust_deviation(value, past)
    if deviation.n < 3:
        return CheckResult(CheckState.NODATA, value, message=f"only {deviation.n} good runs before this one")
    score = deviation.score
    state = CheckState.ALARM if score > check.k_alarm else CheckState.WARN if score > check.k_warn else CheckState.OK
    message = (
        f"{check.statistic} {value:.6g} is {score:.3g} sigma from the median {deviation.median:.6g} "
        f"of {deviation.n} good runs"
    )
    return CheckResult(state, value, None, None, message)


def statistic_of(value: Array, statistic: str) -> float:
    """``value`` (a scalar as float) or one of :data:`alpaca_dash.domain.STATISTICS` of an array."""
    if statistic == "value":
        if value.ndim != 0:
            raise ValueError(f"a {value.ndim}D array has no single value: choose a statistic")
        return float(value)
    return float(getattr(compute_stats(value), statistic))
