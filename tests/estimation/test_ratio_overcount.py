import math
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from estimation.combine import residents, unregistered_from_residents
from estimation.overcount import inspection_ratio, lag_distribution, lag_overcount, quarter_ends
from estimation.ratio import ratio_estimate
from estimation.result import Estimate


def test_ratio_worked_values():
    e = ratio_estimate(pupils=120, registered_children=100, registered_group=1000)
    assert e.point == pytest.approx(1200)
    se_log = math.sqrt(1 / 120 + 1 / 100)
    assert e.lower == pytest.approx(1200 * math.exp(-1.959964 * se_log), rel=1e-5)
    assert e.upper == pytest.approx(1200 * math.exp(1.959964 * se_log), rel=1e-5)
    assert e.inputs["ratio"] == pytest.approx(1.2)


def test_ratio_not_estimable_and_flags():
    assert math.isnan(ratio_estimate(0, 0, 100).point)
    assert not ratio_estimate(10, 15, 100).valid  # small and below 0.9
    with pytest.raises(ValueError):
        ratio_estimate(-1, 5, 10)


def test_inspection_ratio_duisburg_example():
    """Three Duisburg addresses: 570 registered, 239 found and registered, 89 found unregistered."""
    df = pl.DataFrame(
        {
            "gemeldet_laut_register": [300, 200, 70],
            "angetroffen_gemeldet": [120, 90, 29],
            "angetroffen_nicht_gemeldet": [50, 30, 9],
        }
    )
    out = inspection_ratio(df)
    gone = out["registered_gone"]
    assert gone.point == pytest.approx(570 - 239)  # no extrapolation: exact
    assert gone.inputs["share"] == pytest.approx(331 / 570)  # the published 58 %
    assert out["unregistered"].point == pytest.approx(89)
    assert any("only 3" in w for w in gone.warnings)
    # extrapolated to 1,140 registered at all problem properties: half is inspected
    ext = inspection_ratio(df, registered_at_problem_properties=1140)["registered_gone"]
    assert ext.point == pytest.approx(331 + 331 / 570 * 570)
    assert ext.lower >= 331 and ext.upper > ext.point


def test_lag_distribution_is_a_cdf():
    F = lag_distribution(np.array([0, 10, 10, 50, 999]), 100)
    assert F[0] == pytest.approx(0.25) and F[10] == pytest.approx(0.75) and F[-1] == 1.0
    assert np.all(np.diff(F) >= 0)


def _events(rng, start, end, per_day, mean_lag):
    days = (end - start).days
    left = [start + timedelta(int(d)) for d in rng.integers(0, days, int(days * per_day))]
    lags = rng.exponential(mean_lag, len(left)).astype(int)
    return pl.DataFrame({"ereignis_datum": left, "meldedatum": [d + timedelta(int(l)) for d, l in zip(left, lags)]})


def test_lag_projection_recovers_truth_for_a_recent_reference_date():
    rng = np.random.default_rng(2)
    full = _events(rng, date(2019, 1, 1), date(2025, 6, 30), per_day=2.0, mean_lag=90)
    t, as_of = date(2024, 12, 31), date(2025, 1, 31)
    truth = full.filter((pl.col("ereignis_datum") <= t) & (pl.col("meldedatum") > t)).height
    seen = full.filter(pl.col("meldedatum") <= as_of)
    e = lag_overcount(seen, t, as_of=as_of, max_lag_days=730)
    assert e.inputs["known_pending_at_stichtag"] < truth  # what is recorded so far is too few
    assert e.lower <= truth <= e.upper
    assert abs(e.point / truth - 1) < 0.1


def test_lag_projection_is_exact_for_old_reference_dates():
    rng = np.random.default_rng(4)
    full = _events(rng, date(2019, 1, 1), date(2025, 6, 30), per_day=1.0, mean_lag=30)
    t = date(2021, 12, 31)
    truth = full.filter((pl.col("ereignis_datum") <= t) & (pl.col("meldedatum") > t)).height
    e = lag_overcount(full, t, as_of=date(2025, 6, 30))
    assert e.point == pytest.approx(truth, abs=0.5)


def test_quarter_ends():
    assert quarter_ends(date(2024, 2, 1), date(2024, 12, 31)) == [
        date(2024, 3, 31),
        date(2024, 6, 30),
        date(2024, 9, 30),
        date(2024, 12, 31),
    ]


def test_residents_from_parts():
    gone = Estimate("lag", "registered_gone", 100, 80, 120, se=10)
    unreg = Estimate("mse", "unregistered", 300, 250, 350, se=25)
    r = residents(1000, gone, unreg)
    assert r.point == 1200
    assert r.se == pytest.approx(math.sqrt(100 + 625))
    total = Estimate("mse", "residents", 1200, 1100, 1300, se=50)
    u = unregistered_from_residents(total, 900)
    assert u.point == 300 and u.lower == 200 and u.upper == 400
