from datetime import date

import polars as pl

from estimation.validate import score, summarise


def _est(method, quantity, point, lower, upper, band="06-14"):
    return {
        "city": "c",
        "stichtag": date(2025, 9, 30),
        "nationality_group": "EU2",
        "age_band": band,
        "district": "INSGESAMT",
        "method": method,
        "quantity": quantity,
        "registered": 100.0,
        "point": point,
        "lower": lower,
        "upper": upper,
        "valid": True,
        "recommended": method == "ratio_school",
    }


def test_score_counts_coverage_and_errors_against_truth():
    est = pl.DataFrame(
        [
            _est("ratio_school", "residents", 110, 100, 120),
            _est("mse_loglinear", "residents", 150, 140, 160),
            _est("ratio_school", "unregistered", 8, 2, 9),
        ]
    )
    truth = pl.DataFrame(
        {
            "city": ["c"],
            "stichtag": [date(2025, 9, 30)],
            "nationality_group": ["EU2"],
            "age_band": ["06-14"],
            "district": ["INSGESAMT"],
            "residents": [115],
            "registered": [100],
            "registered_gone": [5],
            "unregistered": [10],
        }
    )
    s = summarise(score(est, truth))
    by = {(r["quantity"], r["method"]): r for r in s.to_dicts()}
    assert by[("residents", "ratio_school")]["coverage"] == 1.0
    assert by[("residents", "mse_loglinear")]["coverage"] == 0.0  # a miss must count as a miss
    assert by[("residents", "mse_loglinear")]["mean_error"] == 35
    assert by[("unregistered", "ratio_school")]["coverage"] == 0.0
    assert abs(by[("unregistered", "ratio_school")]["mean_rel_error"] + 0.2) < 1e-12


def test_strata_with_too_few_registered_are_not_scored():
    est = pl.DataFrame([_est("ratio_school", "residents", 10, 9, 11)])
    truth = pl.DataFrame(
        {
            "city": ["c"],
            "stichtag": [date(2025, 9, 30)],
            "nationality_group": ["EU2"],
            "age_band": ["06-14"],
            "district": ["INSGESAMT"],
            "residents": [12],
            "registered": [10],
            "registered_gone": [0],
            "unregistered": [2],
        }
    )
    assert summarise(score(est, truth)).height == 0


def test_district_strata_are_scored_against_district_truth_only():
    est = pl.DataFrame(
        [
            {**_est("components_school", "unregistered", 6, 2, 9, band="INSGESAMT"), "district": "02"},
            {
                **_est("components_school", "unregistered", 60, 50, 70, band="INSGESAMT"),
                "district": "PROBLEMIMMOBILIEN",
            },
            _est("components_school", "unregistered", 1, 0, 2),  # city-wide: not a district row
        ]
    )
    truth = pl.DataFrame(
        {
            "city": ["c"] * 2,
            "stichtag": [date(2025, 9, 30)] * 2,
            "district": ["02", "03"],
            "nationality_group": ["EU2"] * 2,
            "age_band": ["INSGESAMT"] * 2,
            "residents": [150, 90],
            "registered": [140, 85],
            "registered_gone": [4, 1],
            "unregistered": [10, 3],
        }
    )
    s = score(est, truth)
    assert s.height == 1 and s["district"][0] == "02"
    assert not s["covered"][0] and s["error"][0] == -4


def test_inspection_check_compares_the_not_found_share_with_the_truly_gone(tmp_path):
    import json

    from estimation.validate import inspection_check

    pl.DataFrame(
        {
            "city": ["c", "c", "c"],
            "property": [1, 1, 2],
            "date": [date(2024, 5, 1), date(2025, 5, 1), date(2025, 7, 1)],
            "registered": [10, 10, 20],
            "registered_present": [10, 4, 12],
        }
    ).write_parquet(tmp_path / "truth_inspections.parquet")
    est = pl.DataFrame(
        [
            {
                **_est("inspection_ratio", "registered_gone", 30, 20, 40),
                "district": "PROBLEMIMMOBILIEN",
                "inputs": json.dumps({"inspection_file": "2025-12-31", "share": 0.5, "share_se": 0.1}),
            }
        ]
    )
    (row,) = inspection_check(est, tmp_path)
    assert row["inspected_registered"] == 30  # latest inspection per property up to 2025
    assert abs(row["true_gone_share"] - (6 + 8) / 30) < 1e-12
    assert inspection_check(est, tmp_path / "missing") == []


def test_valid_share_counts_valid_rows_and_is_left_out_where_rows_are_split_by_it(capsys):
    from estimation.validate import print_report

    est = pl.DataFrame(
        [
            _est("ratio_school", "residents", 110, 100, 120),
            {**_est("ratio_school", "residents", 110, 100, 120, band="15-44"), "valid": False},
        ]
    )
    truth = pl.DataFrame(
        {
            "city": ["c", "c"],
            "stichtag": [date(2025, 9, 30)] * 2,
            "nationality_group": ["EU2", "EU2"],
            "age_band": ["06-14", "15-44"],
            "district": ["INSGESAMT"] * 2,
            "residents": [115, 115],
            "registered": [100, 100],
            "registered_gone": [5, 5],
            "unregistered": [10, 10],
        }
    )
    summary = summarise(score(est, truth)).to_dicts()
    assert summary[0]["valid_share"] == 0.5
    flagged = summarise(score(est, truth).filter(~pl.col("valid"))).to_dicts()
    print_report(
        {
            "strata_scored": 2,
            "reference_dates": [],
            "by_method": summary,
            "recommended": summary,
            "districts_flagged": flagged,
            "consistency": {},
        }
    )
    out = capsys.readouterr().out
    flagged_table = out.split("flagged (too few children):")[1]
    assert "valid_share" in out.split("flagged (too few children):")[0]  # the city-wide tables keep it
    assert "valid_share" not in flagged_table  # 0 by construction: not shown


def _truth_rows(**over):
    row = {
        "city": "c",
        "stichtag": date(2025, 9, 30),
        "district": "INSGESAMT",
        "nationality_group": "EU2",
        "age_band": "06-14",
        "residents": 115,
        "registered": 100,
        "registered_gone": 5,
        "unregistered": 20,
    }
    return pl.DataFrame([{**row, **over}])


def test_truth_in_the_generator_independent_format_is_read_from_csv_or_parquet(tmp_path):
    from estimation.validate import read_truth, read_world

    t = _truth_rows()
    t.write_csv(tmp_path / "truth_strata.csv")
    (tmp_path / "world.json").write_text('{"name": "w", "generator": "other"}', encoding="utf-8")
    got = read_truth(tmp_path)
    assert got["stichtag"].dtype == pl.Date and got["residents"][0] == 115
    assert read_world(tmp_path / "truth_strata.csv")["generator"] == "other"
    t.write_parquet(tmp_path / "only.parquet")
    assert read_truth(tmp_path / "only.parquet").height == 1


def test_truth_that_cannot_be_right_is_rejected(tmp_path):
    import pytest

    from estimation.validate import read_truth

    cases = [
        (_truth_rows().drop("unregistered"), "columns missing"),
        (_truth_rows(registered_gone=-1), "negative count"),
        (_truth_rows(registered_gone=101), "more gone than registered"),
        (pl.concat([_truth_rows(), _truth_rows()]), "more than once"),
    ]
    for i, (frame, message) in enumerate(cases):
        f = tmp_path / f"t{i}.parquet"
        frame.write_parquet(f)
        with pytest.raises(ValueError, match=message):
            read_truth(f)
    with pytest.raises(FileNotFoundError, match="truth_strata"):
        read_truth(tmp_path / "nowhere")


def test_width_and_relative_bias_are_reported():
    est = pl.DataFrame(
        [_est("ratio_school", "residents", 110, 100, 130), _est("ratio_school", "unregistered", 30, 10, 50)]
    )
    s = {r["quantity"]: r for r in summarise(score(est, _truth_rows())).to_dicts()}
    assert s["residents"]["median_width"] == 30 and s["unregistered"]["median_width"] == 40
    assert abs(s["unregistered"]["rel_bias"] - 0.5) < 1e-12  # (30 - 20) / 20
    assert abs(s["residents"]["median_rel_width"] - 30 / 115) < 1e-12
