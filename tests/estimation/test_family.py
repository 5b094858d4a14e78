"""The validation family: its grid, the knobs reaching the world, and the scoring (small worlds
only; the whole grid runs in `make bench` / `python -m estimation validate --family`)."""

import json
from datetime import datetime

import polars as pl

from estimation.family import SEEDS, SETTINGS, score_family
from ingest.demo.assumptions import DEMO


def test_the_grid_has_at_least_twelve_distinct_settings_and_three_seeds():
    assert len(SETTINGS) >= 12 and len(SEEDS) >= 3
    assert len({s.name for s in SETTINGS}) == len(SETTINGS)
    assert len({repr(s.knobs) for s in SETTINGS}) == len(SETTINGS)
    assert SETTINGS[0].knobs == DEMO
    described = {s.name: s.knobs.describe() for s in SETTINGS}
    # every knob of the generator is varied somewhere
    for knob in (
        "counselling_unregistered_factor",
        "catchability_sd",
        "ava_delay_factor",
        "unregistered_school_factor",
    ):
        assert len({d[knob] for d in described.values()}) > 1, knob
    assert len({json.dumps(d["absent_share"], sort_keys=True) for d in described.values()}) > 2


def _world(work, name, setting, rows):
    d = work / "truth" / name
    d.mkdir(parents=True)
    (d / "world.json").write_text(
        json.dumps({"name": name, "setting": setting, "seed": 1, "template_city": "t", "scale": 1}), encoding="utf-8"
    )
    pl.DataFrame(rows).with_columns(pl.col("stichtag").str.to_date()).write_parquet(d / "truth_strata.parquet")


def test_score_family_scores_each_world_against_its_own_truth(tmp_path):
    base = dict(stichtag="2025-09-30", district="INSGESAMT", nationality_group="EU2", age_band="25-44", residents=110)
    _world(tmp_path, "a", "demo", [dict(city="a", registered=100, registered_gone=10, unregistered=20, **base)])
    _world(tmp_path, "b", "absent_5", [dict(city="b", registered=100, registered_gone=30, unregistered=40, **base)])

    def est(city, gone, lo, hi):
        return dict(
            city=city, stichtag=datetime(2025, 9, 30).date(), district="INSGESAMT", nationality_group="EU2",
            age_band="25-44", method="school_gone_dwell", quantity="registered_gone", registered=100.0,
            point=gone, lower=lo, upper=hi, valid=True, recommended=True,
        )  # fmt: skip

    r = score_family(tmp_path, pl.DataFrame([est("a", 12, 5, 20), est("b", 12, 5, 20)]))
    by = {x["setting"]: x for x in r["recommended_by_setting"]}
    assert by["demo"]["coverage"] == 1.0 and by["absent_5"]["coverage"] == 0.0  # b's truth is 30, not a's 10
    assert by["absent_5"]["mean_error"] == -18
    assert [s["name"] for s in r["settings"]] == ["demo", "absent_5"]
