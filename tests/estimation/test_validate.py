from datetime import date

import polars as pl

from estimation.validate import score, summarise


def _est(method, quantity, point, lower, upper, band="06-14"):
    return {"city": "c", "stichtag": date(2025, 9, 30), "nationality_group": "EU2", "age_band": band,
            "district": "ALLE", "method": method, "quantity": quantity, "registered": 100.0,
            "point": point, "lower": lower, "upper": upper, "valid": True, "recommended": method == "ratio_school"}


def test_score_counts_coverage_and_errors_against_truth():
    est = pl.DataFrame([_est("ratio_school", "residents", 110, 100, 120),
                        _est("mse_loglinear", "residents", 150, 140, 160),
                        _est("ratio_school", "unregistered", 8, 2, 9)])
    truth = pl.DataFrame({"city": ["c"], "stichtag": [date(2025, 9, 30)], "nationality_group": ["EU2"],
                          "age_band": ["06-14"], "residents": [115], "registered": [100],
                          "registered_gone": [5], "resident_unregistered": [10]})
    s = summarise(score(est, truth))
    by = {(r["quantity"], r["method"]): r for r in s.to_dicts()}
    assert by[("residents", "ratio_school")]["coverage"] == 1.0
    assert by[("residents", "mse_loglinear")]["coverage"] == 0.0        # a miss must count as a miss
    assert by[("residents", "mse_loglinear")]["mean_error"] == 35
    assert by[("unregistered", "ratio_school")]["coverage"] == 0.0
    assert abs(by[("unregistered", "ratio_school")]["mean_rel_error"] + 0.2) < 1e-12


def test_strata_with_too_few_registered_are_not_scored():
    est = pl.DataFrame([_est("ratio_school", "residents", 10, 9, 11)])
    truth = pl.DataFrame({"city": ["c"], "stichtag": [date(2025, 9, 30)], "nationality_group": ["EU2"],
                          "age_band": ["06-14"], "residents": [12], "registered": [10],
                          "registered_gone": [0], "resident_unregistered": [2]})
    assert summarise(score(est, truth)).height == 0
