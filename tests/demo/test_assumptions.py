"""Knobs of the demo generator for the validation family: the defaults write the same bytes as
before (no knob draws a random number), a knob changes the world in its direction, and the truth
in the generator-independent format adds up."""

import hashlib
from datetime import datetime

import numpy as np
import polars as pl
import pytest

from ingest.demo import generate
from ingest.demo.assumptions import DEMO, Assumptions, frailty, scale_odds
from ingest.demo.manifest import MANIFEST

KW = dict(scale=0.01, seed=7, cities=["solingen"], start="2025-06", end="2025-12", now=datetime(2026, 1, 20, 8, 0))


def _digest(landing):
    files = sorted(p for p in landing.rglob("*") if p.is_file() and p.name not in ("DEMO_SYNTHETIC_DATA.txt", MANIFEST))
    return {p.relative_to(landing).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture(scope="module")
def demo_and_absent(tmp_path_factory):
    root = tmp_path_factory.mktemp("knobs")
    out = {}
    for name, knobs in (("default", None), ("demo", DEMO), ("absent", Assumptions(absent_share=0.4))):
        kw = dict(KW, landing=root / name / "landing", truth=root / name / "truth", progress=lambda *_: None)
        if knobs is not None:
            kw["assumptions"] = knobs
        generate(**kw)
        out[name] = root / name
    return out


def test_default_knobs_write_the_same_bytes(demo_and_absent):
    a, b = _digest(demo_and_absent["default"] / "landing"), _digest(demo_and_absent["demo"] / "landing")
    assert a and a == b


def test_absent_share_knob_takes_registered_children_off_the_school_list(demo_and_absent):
    def absent(root):
        t = pl.read_parquet(root / "truth" / "truth_school.parquet").filter(pl.col("age_band") == "06-14")
        return 1 - t["attending_registered"].sum() / t["residents_registered"].sum()

    assert absent(demo_and_absent["default"]) < 0.05 < 0.3 < absent(demo_and_absent["absent"])
    # the world is the same up to the census (the knob draws nothing of its own); from the
    # census on the random stream follows the new school list
    a, b = _digest(demo_and_absent["default"] / "landing"), _digest(demo_and_absent["absent"] / "landing")
    before = [k for k in a if k.split("/")[-1][:7] < "2025-10" and k.split("/")[1] != "gebiete"]
    assert before and all(a[k] == b[k] for k in before)
    assert a["solingen/schule/2025-10-15.csv"] != b["solingen/schule/2025-10-15.csv"]


def test_truth_strata_add_up_and_match_the_stock_truth(demo_and_absent):
    root = demo_and_absent["default"] / "truth"
    s = pl.read_parquet(root / "truth_strata.parquet")
    whole = s.filter(pl.col("district") == "INSGESAMT")
    assert set(whole["age_band"]) <= {"00-05", "06-14", "15-17", "18-24", "25-44", "45-64", "65+"}
    counts = ["residents", "registered", "registered_gone", "unregistered"]
    by_day = whole.group_by("stichtag").agg(pl.col(counts).sum()).sort("stichtag")
    districts = (
        s.filter(pl.col("district") != "INSGESAMT").group_by("stichtag").agg(pl.col(counts).sum()).sort("stichtag")
    )
    assert by_day.equals(districts)  # the district rows sum to the whole city
    assert (by_day["residents"] == by_day["registered"] - by_day["registered_gone"] + by_day["unregistered"]).all()
    old = (
        pl.read_parquet(root / "truth.parquet").group_by("stichtag").agg(pl.col("registered", "registered_gone").sum())
    )
    assert by_day.select("stichtag", "registered", "registered_gone").equals(old.sort("stichtag"))


def test_frailty_is_mean_one_and_deterministic_and_odds_scaling_keeps_probabilities():
    ids = np.arange(200_000)
    z = frailty(ids, 0.7, 11)
    assert abs(z.mean() - 1) < 0.01 and np.array_equal(z, frailty(ids, 0.7, 11))
    assert not np.array_equal(z, frailty(ids, 0.7, 12))
    p = scale_odds(np.array([0.5, 0.985]), np.array([1.0, 0.1]))
    assert p[0] == 0.5 and 0 < p[1] < 0.985
