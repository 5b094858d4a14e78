"""school_gone_dwell, district strata and inspection rows (small synthetic frames)."""

import math
from datetime import date

import duckdb
import numpy as np
import polars as pl
import pytest

from estimation.districts import MIN_DISTRICT_CHILDREN, district_rows
from estimation.gone import class_shares, dwell_class, school_gone_dwell
from estimation.problem_properties import SCOPE, inspection_rows
from estimation.rows import row

T = date(2025, 9, 30)
KNOWN_ABSENT = (0.015, 0.0075, {"absent_share": 0.015})  # the simulated worlds' absent share, as if estimated


def _people(rng, n, dwell_years, gone_share, kids=True):
    """Registered persons of one dwell profile; children are at school unless gone (or absent)."""
    gone = rng.random(n) < gone_share
    at_school = ~gone & (rng.random(n) < 0.985)
    return pl.DataFrame(
        {
            "dwell": np.full(n, dwell_years, float),
            "school": at_school.astype(int),
            "gone": gone,
            "age": np.full(n, 10 if kids else 40),
        }
    )


def test_dwell_classes_cover_born_and_edges():
    d = pl.DataFrame({"dwell": [None, -1.0, 0.2, 1.0, 2.9, 3.0, 7.0]})
    got = d.select(dwell_class(pl.col("dwell")).alias("c"))["c"].to_list()
    assert got == ["born", "born", "<1", "1-3", "1-3", "3-6", "6+"]


def test_gone_dwell_follows_the_dwell_mix_where_the_flat_share_cannot():
    """Over 40 seeded worlds: children - recent arrivals often gone, long-established hardly
    ever; the adults of the band are mostly recent arrivals, so far more of them are gone than
    the children's average says. The dwell estimate is unbiased and its interval covers."""
    covered, rel_dwell, rel_flat = 0, [], []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        kids = pl.concat([_people(rng, 400, 0.5, 0.30), _people(rng, 400, 8.0, 0.02)]).with_columns(
            dwell_class=dwell_class(pl.col("dwell"))
        )
        adults = pl.concat([_people(rng, 900, 0.5, 0.30, False), _people(rng, 100, 8.0, 0.02, False)]).with_columns(
            dwell_class=dwell_class(pl.col("dwell"))
        )
        e = school_gone_dwell(adults, kids, KNOWN_ABSENT)
        truth = adults["gone"].sum()
        covered += e.lower <= truth <= e.upper
        rel_dwell.append(e.point / truth - 1)
        rel_flat.append(adults.height * (1 - kids["school"].mean() / 0.985) / truth - 1)
        assert e.valid and e.se > 0
    assert covered >= 34  # 95 % nominal; >= 85 % of 40
    assert abs(np.mean(rel_dwell)) < 0.05
    assert np.mean(rel_flat) < -0.3  # the flat share misses by far


def test_sparse_dwell_class_borrows_the_pooled_share_and_no_children_is_not_estimable():
    kids = pl.DataFrame({"dwell_class": ["<1"] * 3 + ["6+"] * 100, "school": [0, 0, 0] + [1] * 90 + [0] * 10})
    shares = class_shares(kids, 0.015)
    pooled = 1 - (90 / 103) / 0.985
    assert shares["<1"][0] == pytest.approx(pooled)  # 3 children: too few for their own share
    assert shares["6+"][0] == pytest.approx(1 - 0.9 / 0.985)
    empty = school_gone_dwell(pl.DataFrame({"dwell_class": ["6+"]}), kids.clear())
    assert math.isnan(empty.point) and not empty.valid


def _histories(rng):
    """Capture histories of two districts: '01' with many children, '02' with a handful."""
    rows = []
    for district, n_kids, n_adults in (("01", 200, 800), ("02", 5, 60)):
        for i in range(n_kids + n_adults):
            kid = i < n_kids
            gone = rng.random() < 0.1
            rows.append(
                {
                    "nationality_group": "EU2",
                    "district": district,
                    "age": 10 if kid else 35,
                    "register": 1,
                    "school": int(kid and not gone),
                    "school_district": district if kid and not gone else None,
                    "dwell": 2.0,
                    "left_before_census": False,
                }
            )
    for _ in range(20):  # unregistered pupils living in 01
        rows.append(
            {
                "nationality_group": "EU2",
                "district": "01",
                "age": 9,
                "register": 0,
                "school": 1,
                "school_district": "01",
                "dwell": None,
                "left_before_census": False,
            }
        )
    return pl.DataFrame(rows).with_columns(dwell_class=dwell_class(pl.col("dwell")))


def test_district_rows_flag_districts_with_too_few_children():
    ch = _histories(np.random.default_rng(5))
    out = pl.DataFrame(district_rows(ch, "c", T))
    assert set(out["age_band"]) == {"INSGESAMT"} and set(out["district"]) == {"01", "02"}
    d1 = out.filter(district="01")
    d2 = out.filter(district="02")
    assert d1["valid"].all()
    assert not d2["valid"].any()  # 5 children < MIN_DISTRICT_CHILDREN
    assert MIN_DISTRICT_CHILDREN > 5
    assert any("registered children in the district" in w for w in d2["warnings"])
    res = {r["quantity"]: r for r in d1.iter_rows(named=True)}
    # identity inside the district: residents = registered - gone + unregistered
    assert res["residents"]["point"] == pytest.approx(
        res["residents"]["registered"] - res["registered_gone"]["point"] + res["unregistered"]["point"]
    )
    assert res["unregistered"]["point"] > 0


def test_inspection_rows_scale_the_not_found_share_to_everybody_registered_there(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema staging")
    con.execute("""create table staging.pp as select * from (values
        ('c', DATE '2025-12-31', 'A1', 'OBJ1', DATE '2025-05-01', 10, 4, 2),
        ('c', DATE '2025-12-31', 'A2', 'OBJ2', DATE '2025-06-01', 10, 6, 0),
        ('c', DATE '2025-12-31', 'A3', 'OBJ3', NULL, NULL, NULL, NULL),
        ('c', DATE '2024-12-31', 'A1', 'OBJ1', DATE '2024-05-01', 10, 10, 0))
        t(city, stichtag, adresse_pseudonym, objekt_id, letzte_kontrolle, gemeldet_laut_register,
          angetroffen_gemeldet, angetroffen_nicht_gemeldet)""")
    con.execute("""create table staging.b as select 'c' as city, DATE '2025-09-30' as stichtag,
        'p' || i as person_pseudonym, case when i < 12 then 'A1' when i < 24 then 'A2' when i < 30 then 'A3' else 'Z' end
        as adresse_pseudonym from range(100) r(i)""")
    rel = {"problem_properties": "staging.pp", "bestand": "staging.b"}
    out = {r["quantity"]: r for r in inspection_rows(con, rel, "c", T, row)}
    con.close()
    gone = out["registered_gone"]
    assert gone["district"] == SCOPE and gone["nationality_group"] == "INSGESAMT"
    assert gone["registered"] == 30  # 12 + 12 + 6 registered at the three addresses on t
    assert gone["point"] == pytest.approx(30 * 10 / 20)  # not-found share 10/20 of the 2025 file
    assert gone["lower"] < gone["point"] < gone["upper"] <= 30
    assert out["unregistered"]["point"] == pytest.approx(30 * 2 / 20)
    assert "leans high" in gone["assumptions"]


def test_inspection_rows_absent_without_the_source(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert inspection_rows(con, {"problem_properties": "staging.nothing", "bestand": "x"}, "c", T, row) == []
    assert inspection_rows(con, {"bestand": "x"}, "c", T, row) == []
    con.close()
