"""The statistics of the checks, on plain arrays: two-sample tests from ``scipy.stats``, hot and dead pixels, and
robust deviations. No storage here; every function is checked against ``scipy.stats`` on known inputs."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np

from alpaca_dash.types import Array

#: 1.4826 x MAD estimates the standard deviation of normally distributed values
MAD_TO_SIGMA = 1.482602218505602
#: the mean absolute deviation of a normal distribution to its sigma (sqrt(pi / 2))
MEAN_AD_TO_SIGMA = 1.2533141373155003


@dataclass(frozen=True)
class TestOutcome:
    statistic: float
    p_value: float


def finite(values: Array) -> Array:
    flat = np.asarray(values).reshape(-1)
    if flat.dtype.kind == "f":
        kept: Array = flat[np.isfinite(flat)]
        return kept
    return flat.astype(np.float64) if flat.dtype.kind == "b" else flat


def ks_test(sample: Array, reference: Array) -> TestOutcome:
    """Two-sample Kolmogorov-Smirnov test of the finite values (asymptotic p-value above 10,000 values each)."""
    a, b = finite(sample), finite(reference)
    method: Literal["auto", "asymp"] = "asymp" if min(a.size, b.size) > 10_000 else "auto"
    from scipy import stats  # here, not at import: scipy.stats takes most of a second to load

    result = stats.ks_2samp(a, b, method=method)
    return TestOutcome(float(result.statistic), float(result.pvalue))


def chi2_samples(sample: Array, reference: Array, bins: int) -> TestOutcome:
    """χ² test that two samples come from one distribution: both binned alike over their common range."""
    a, b = finite(sample), finite(reference)
    low = float(min(a.min(), b.min()))
    high = float(max(a.max(), b.max()))
    if low == high:
        return TestOutcome(0.0, 1.0)
    edges = np.linspace(low, high, bins + 1)
    return chi2_counts(np.histogram(a, edges)[0], np.histogram(b, edges)[0])


def chi2_counts(counts: Array, reference: Array) -> TestOutcome:
    """χ² homogeneity test of two histograms with the same bins (a 2 x bins contingency table; empty bins left out).

    :raises ValueError: when the histograms have different numbers of bins or negative counts.
    """
    a, b = np.asarray(counts, dtype=np.float64).reshape(-1), np.asarray(reference, dtype=np.float64).reshape(-1)
    if a.shape != b.shape:
        raise ValueError(f"histograms have {a.size} and {b.size} bins")
    if (a < 0).any() or (b < 0).any() or not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("histogram counts must be finite and not negative")
    used = (a + b) > 0
    if used.sum() < 2 or a.sum() == 0 or b.sum() == 0:
        return TestOutcome(0.0, 1.0)
    from scipy import stats

    statistic, p_value, _dof, _expected = stats.chi2_contingency(np.vstack([a[used], b[used]]), correction=False)
    return TestOutcome(float(statistic), float(p_value))


#: pixels whose differences estimate an image's centre and spread (:func:`pixel_fractions`)
ROBUST_SAMPLE = 1 << 16


@dataclass(frozen=True)
class PixelFractions:
    hot: float
    dead: float


def pixel_fractions(image: Array, reference: Array, sigma: float) -> PixelFractions:
    """The fractions of pixels above (hot) and below (dead) their reference pixel by more than ``sigma`` robust
    standard deviations of the difference image.

    The centre and spread of the differences are the median and MAD of an evenly strided sample of at most
    :data:`ROBUST_SAMPLE` pixels (two medians of a whole 1024² image cost 0.2 s here, of the sample 5 ms); the
    pixels are then all counted.

    :raises ValueError: when the shapes differ.
    """
    if image.shape != reference.shape:
        raise ValueError(f"image is {image.shape}, its reference {reference.shape}")
    difference = np.subtract(image, reference, dtype=np.float32)
    valid = np.isfinite(difference)
    values = difference[valid] if not valid.all() else difference.reshape(-1)
    if values.size == 0:
        return PixelFractions(math.nan, math.nan)
    sample = values[:: max(1, values.size // ROBUST_SAMPLE)]
    centre = float(np.median(sample))
    spread = MAD_TO_SIGMA * float(np.median(np.abs(sample - centre)))
    limit = sigma * spread
    hot = int(np.count_nonzero(values > centre + limit)) if spread > 0 else int(np.count_nonzero(values > centre))
    dead = int(np.count_nonzero(values < centre - limit)) if spread > 0 else int(np.count_nonzero(values < centre))
    return PixelFractions(hot / values.size, dead / values.size)


@dataclass(frozen=True)
class Deviation:
    """How far a value lies from a history: ``score`` robust standard deviations from its median."""

    score: float
    median: float
    sigma: float
    n: int


def robust_deviation(value: float, history: Array) -> Deviation:
    """``|value - median| / (1.4826 x MAD)`` over the finite history; infinite when the history never varies and the
    value differs, 0 when it equals it, NaN when the value or the history is missing."""
    past = finite(history).astype(np.float64, copy=False)
    if past.size == 0 or not math.isfinite(value):
        return Deviation(math.nan, math.nan, math.nan, int(past.size))
    median = float(np.median(past))
    sigma = MAD_TO_SIGMA * float(np.median(np.abs(past - median)))  # scipy's median_abs_deviation, 50x faster
    distance = abs(value - median)
    if sigma == 0:
        score = 0.0 if distance == 0 else math.inf
    else:
        score = distance / sigma
    return Deviation(score, median, sigma, int(past.size))


def robust_scores(values: Array, history: Array) -> tuple[Array, Array, Array]:
    """:func:`robust_deviation` for many observables at once, for ranking: ``values`` (n) against the rows of
    ``history`` (n x runs, NaN where a run lacks a value).

    Where the MAD is zero but the history varied (a flag that is mostly on, a counter mostly at one value), the scale
    is the mean absolute deviation from the median x 1.2533 (Iglewicz and Hoaglin's modified z-score), so that such a
    flag flipping ranks by how often it flipped before, not above every varying value; where the history never
    varied, 1 % of its median (1 where that is 0).

    :returns: scores, medians and the scales the scores are in (the robust sigma where the MAD is not zero), each of
        length n (NaN where a row has no finite history).
    """
    # a row without a finite value warns "All-NaN slice"; its NaN is the answer here
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        medians = np.nanmedian(history, axis=1)
        deviations = np.abs(history - medians[:, None])
        sigmas = MAD_TO_SIGMA * np.nanmedian(deviations, axis=1)
        distance = np.abs(values - medians)
        spread = MEAN_AD_TO_SIGMA * np.nanmean(deviations, axis=1)
        constant = np.where(medians != 0, 0.01 * np.abs(medians), 1.0)
        scale = np.where(sigmas > 0, sigmas, np.where(spread > 0, spread, constant))
        scores = distance / scale
    scores = np.where(np.isnan(values) | np.isnan(medians), np.nan, scores)
    return scores, medians, scale
