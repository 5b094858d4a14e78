"""Intervals of counts (estimation/intervals.py) and the intervals built from them: the exact
Poisson interval against published values, the log-scale interval of a count >= 0, the
unregistered rate of the components method with no unregistered pupil, and the unregistered row
of a residents estimate that never goes below 0."""

import math

import pytest

from estimation.components import components, unregistered_rate
from estimation.intervals import poisson_interval, positive_count_interval
from estimation.result import Estimate
from estimation.rows import resident_rows


def test_poisson_interval_is_garwoods_exact_interval():
    # published exact 95 % limits (e.g. Ulm 1990, Am. J. Epidemiol. 131, 373-375, table 1)
    assert poisson_interval(0) == pytest.approx((0.0, 3.689), abs=1e-3)
    assert poisson_interval(1) == pytest.approx((0.0253, 5.572), abs=1e-3)
    assert poisson_interval(10) == pytest.approx((4.795, 18.390), abs=1e-3)


def test_positive_count_interval_is_never_below_zero_and_keeps_room_above():
    lo, hi = positive_count_interval(2.0, 5.0)
    assert lo == 0.0 and hi > 2.0 + 5.0  # skewed: far more room above than a normal cut at 0
    lo, hi = positive_count_interval(0.0, 1.0)
    assert lo == 0.0 and hi > 0
    lo, hi = positive_count_interval(400.0, 20.0)  # a large count: nearly the normal interval
    assert lo == pytest.approx(400 - 1.96 * 20, rel=0.01) and hi == pytest.approx(400 + 1.96 * 20, rel=0.01)
    assert positive_count_interval(5.0, math.inf) == (0.0, math.inf)
    assert positive_count_interval(5.0, 1e9) == (0.0, math.inf)  # no overflow


def test_no_unregistered_pupil_still_leaves_an_upper_limit():
    gone = Estimate("school_gone_dwell", "registered_gone", 10, 4, 16, se=3)
    rate = unregistered_rate(200, gone, pupils=180, linked=180)
    assert rate.point == 0.0 and rate.lower == 0.0
    # at least Garwood's 3.69 pupils, scaled by the attendance of the registered present children
    assert rate.upper * 200 >= 3.69 * (190 + 1) / (180 + 1)
    unreg, _ = components(1000, Estimate("school_gone_dwell", "registered_gone", 50, 30, 70, se=10), rate)
    assert unreg.lower == 0.0 and unreg.upper > 0


def test_transfer_widens_the_interval_of_other_ages_only_by_the_stated_factor():
    gone_kids = Estimate("school_gone_dwell", "registered_gone", 20, 10, 30, se=5)
    rate = unregistered_rate(200, gone_kids, pupils=207, linked=177)
    gone = Estimate("school_gone_dwell", "registered_gone", 50, 30, 70, se=10)
    own, _ = components(1000, gone, rate)
    other, _ = components(1000, gone, rate, transfer=2.0)
    assert other.point == own.point
    assert other.lower == pytest.approx(own.lower / 2) and other.upper == pytest.approx(own.upper * 2)
    assert "multiplied by 2" in other.interval_method


def test_unregistered_row_of_a_residents_estimate_is_a_count_on_the_log_scale():
    total = Estimate("mse_loglinear", "residents", 905, 880, 990, se=25)
    gone = Estimate("school_gone_dwell", "registered_gone", 100, 80, 120, se=10)
    _, unreg = resident_rows({"district": "INSGESAMT"}, total, 1000.0, gone)
    assert unreg["point"] == pytest.approx(5.0)
    assert unreg["lower"] == 0.0 < unreg["point"] < unreg["upper"]
    assert "log scale" in unreg["interval_method"]
