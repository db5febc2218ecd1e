"""The checks' statistics against scipy.stats on known inputs, and the check model's refusals."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy import stats

from alpaca_dash.quality import statistics
from alpaca_dash.quality.checks import (
    Bounds,
    Check,
    CheckError,
    CheckState,
    ReferenceCheck,
    ScalarCheck,
    describe_settings,
    export_document,
    parse_check,
    parse_checks,
)

rng = np.random.default_rng(42)


def test_ks_is_scipys_two_sample_test() -> None:
    a, b = rng.normal(0, 1, 500), rng.normal(0.3, 1, 700)
    expected = stats.ks_2samp(a, b)
    outcome = statistics.ks_test(a, b)
    assert outcome.statistic == pytest.approx(expected.statistic)
    assert outcome.p_value == pytest.approx(expected.pvalue)
    # a shift of 0.3 sigma over 500 and 700 samples is far below p = 0.001; the same distribution is not
    assert outcome.p_value < 1e-3
    assert statistics.ks_test(a, a).p_value == pytest.approx(1.0)


def test_ks_leaves_out_nans_and_takes_the_asymptotic_p_for_large_samples() -> None:
    a, b = rng.normal(0, 1, 20_000), rng.normal(0, 1, 20_000)
    with_nans = np.concatenate([a, [np.nan, np.inf]])
    outcome = statistics.ks_test(with_nans, b)
    assert outcome.p_value == pytest.approx(stats.ks_2samp(a, b, method="asymp").pvalue)


def test_chi2_of_counts_is_scipys_contingency_test() -> None:
    observed = np.array([10, 20, 30, 0, 40])
    reference = np.array([12, 18, 35, 0, 30])
    expected = stats.chi2_contingency(np.array([[10, 20, 30, 40], [12, 18, 35, 30]]), correction=False)
    outcome = statistics.chi2_counts(observed, reference)
    assert outcome.statistic == pytest.approx(expected.statistic)
    assert outcome.p_value == pytest.approx(expected.pvalue)
    with pytest.raises(ValueError, match="5 and 4 bins"):
        statistics.chi2_counts(observed, reference[:4])


def test_chi2_of_samples_bins_both_alike() -> None:
    a, b = rng.normal(0, 1, 5000), rng.normal(0, 1.2, 5000)
    edges = np.linspace(min(a.min(), b.min()), max(a.max(), b.max()), 31)
    ha, hb = np.histogram(a, edges)[0], np.histogram(b, edges)[0]
    used = (ha + hb) > 0
    expected = stats.chi2_contingency(np.vstack([ha[used], hb[used]]), correction=False)
    outcome = statistics.chi2_samples(a, b, 30)
    assert outcome.p_value == pytest.approx(expected.pvalue)
    assert outcome.p_value < 1e-6


def test_hot_and_dead_pixels_against_the_reference() -> None:
    reference = rng.normal(100, 5, (64, 64)).astype(np.float32)
    image = reference + rng.normal(0, 1, (64, 64)).astype(np.float32)
    image[0, :10] += 500  # ten hot pixels
    image[5, :4] = 0  # four dead ones
    fractions = statistics.pixel_fractions(image, reference, sigma=6)
    assert fractions.hot == pytest.approx(10 / 4096)
    assert fractions.dead == pytest.approx(4 / 4096)
    with pytest.raises(ValueError, match="reference"):
        statistics.pixel_fractions(image, reference[:10], sigma=5)


def test_robust_deviation_is_median_and_scaled_mad() -> None:
    history = np.array([10.0, 11, 9, 10.5, 9.5, 100])  # one outlier the median and MAD shrug off
    sigma = stats.median_abs_deviation(history, scale="normal")
    deviation = statistics.robust_deviation(13.0, history)
    assert deviation.median == pytest.approx(np.median(history))
    assert deviation.sigma == pytest.approx(sigma)
    assert deviation.score == pytest.approx(abs(13.0 - np.median(history)) / sigma)
    assert statistics.robust_deviation(5.0, np.full(5, 5.0)).score == 0
    assert math.isinf(statistics.robust_deviation(6.0, np.full(5, 5.0)).score)


def test_bounds_judge_and_must_nest() -> None:
    bounds = Bounds(alarm_low=0, warn_low=1, warn_high=9, alarm_high=10)
    assert [bounds.judge(v) for v in (-1, 0.5, 5, 9.5, 11, math.nan)] == [
        CheckState.ALARM,
        CheckState.WARN,
        CheckState.OK,
        CheckState.WARN,
        CheckState.ALARM,
        CheckState.NODATA,
    ]
    with pytest.raises(CheckError, match="bounds do not nest: alarm_low 5 is above warn_low 1"):
        parse_check({"kind": "scalar", "name": "x", "observable": "o", "bounds": {"alarm_low": 5, "warn_low": 1}})
    with pytest.raises(CheckError, match="at least one"):
        parse_check({"kind": "scalar", "name": "x", "observable": "o", "bounds": {}})


def test_a_value_is_described_against_the_bounds_of_its_state() -> None:
    """The demo's alarm said ``value 4 outside [-1, 1]``, the warn bounds, of a check whose alarm is at 1.5."""
    bounds = Bounds(alarm_low=-1.5, warn_low=-1, warn_high=1, alarm_high=1.5)
    assert bounds.describe(CheckState.ALARM) == "the alarm bounds [-1.5, 1.5]"
    assert bounds.describe(CheckState.WARN) == "the warn bounds [-1, 1]"
    assert bounds.describe(CheckState.OK) == "[-1, 1]"
    assert Bounds(alarm_high=2).describe(CheckState.ALARM) == "the alarm bounds [-inf, 2]"
    assert Bounds(alarm_high=2).describe(CheckState.OK) == "[-inf, 2]"


def test_p_values_lie_in_the_open_unit_interval_and_alarm_below_warn() -> None:
    base = {"kind": "reference", "name": "ks", "observable": "o", "test": "ks"}
    cases: list[tuple[dict[str, object], str]] = [
        ({"warn_p": 1.0}, "warn_p must lie in (0, 1), not 1"),
        ({"alarm_p": 0}, "alarm_p must lie in (0, 1), not 0"),
        ({"warn_p": 0.001, "alarm_p": 0.01}, "alarm_p 0.01 must not be above warn_p 0.001"),
        ({"counts": True}, "counts"),
    ]
    for bad, message in cases:
        with pytest.raises(CheckError, match=re.escape(message)):
            parse_check({**base, **bad})
    assert isinstance(parse_check(base), ReferenceCheck)


def test_a_file_of_checks_round_trips_and_names_the_bad_check() -> None:
    checks: list[Check] = [
        ScalarCheck(name="offset", observable="ELENA_Parameters*H_offset_mm", bounds=Bounds(warn_high=2)),
        ReferenceCheck(name="sspals", observable="w", test="chi2", bins=40),
    ]
    assert parse_checks(export_document(checks)) == checks
    with pytest.raises(CheckError, match="check 'b': bounds: bounds do not nest: warn_low 3 is above warn_high 1"):
        parse_checks([{"kind": "scalar", "name": "b", "observable": "o", "bounds": {"warn_low": 3, "warn_high": 1}}])
    with pytest.raises(CheckError, match="used twice"):
        parse_checks([checks[0].model_dump(), checks[0].model_dump()])
    with pytest.raises(CheckError, match="unsupported checks file version"):
        parse_checks({"version": 7, "checks": []})


def test_robust_scores_rank_many_rows_as_scipy_would() -> None:
    history = rng.normal(10, 2, (3, 15))
    history[1, 4] = np.nan  # a run without a value
    values = np.array([10.0, 30.0, np.nan])
    scores, medians, sigmas = statistics.robust_scores(values, history)
    row = history[1][~np.isnan(history[1])]
    assert medians[1] == pytest.approx(np.median(row))
    assert sigmas[1] == pytest.approx(stats.median_abs_deviation(row, scale="normal"))
    assert scores[1] == pytest.approx(abs(30 - np.median(row)) / sigmas[1])
    assert np.isnan(scores[2])
    flags = statistics.robust_scores(np.array([1.0, 6.0]), np.array([[0.0] * 5, [5.0] * 5]))[0]
    assert flags.tolist() == pytest.approx([1.0, 20.0])  # a never-varying history: 1 % of its median, or 1


def test_a_flag_mostly_on_that_flips_ranks_by_how_often_it_flipped_before() -> None:
    # a flag on in 11 of 13 good runs (its MAD is zero) turning off, beside a varying value 10 sigma off
    flag = np.array([1.0] * 11 + [0.0] * 2)
    varying = rng.normal(0, 1, 13)
    ten_sigma = np.median(varying) + 10 * stats.median_abs_deviation(varying, scale="normal")
    scores = statistics.robust_scores(np.array([0.0, ten_sigma]), np.vstack([flag, varying]))[0]
    mean_ad = np.mean(np.abs(flag - 1.0))
    assert scores[0] == pytest.approx(1.0 / (np.sqrt(np.pi / 2) * mean_ad))  # 5.4: by its mean absolute deviation
    assert scores[1] == pytest.approx(10.0)


def test_a_list_of_checks_reads_their_bounds_as_the_states_beyond_them() -> None:
    bounded, history = parse_checks(
        [
            {"name": "peak", "observable": "ccd", "kind": "statistic", "statistic": "max",
             "bounds": {"alarm_low": 100, "warn_high": 280.5}},
            {"name": "beam", "observable": "elena", "kind": "history", "k_warn": 3, "k_alarm": 5, "last_runs": 20},
        ]
    )  # fmt: skip
    assert describe_settings(bounded) == "statistic=max, alarm < 100, warn > 280.5"
    assert "k_warn=3, k_alarm=5, last_runs=20" in describe_settings(history)
