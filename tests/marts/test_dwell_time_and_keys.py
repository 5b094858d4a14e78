"""The dwell-time median read from counts equals quantile_cont over the persons, and the
hash-first unique_combination test still finds every duplicate (and nothing else).

Both run the SQL as dbt compiled it for the demo build on tables written here; the compiled SQL
names the database "warehouse", so the files are called warehouse.duckdb."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd


def _random_counts(seed: int) -> pd.DataFrame:
    """Counts per move-in date for a few cells: some large (the median straddles years), some of
    one or two persons, lower bounds (left-censored, city-born) mixed in."""
    rng = np.random.default_rng(seed)
    rows = []
    for stichtag in (date(2023, 12, 31), date(2024, 12, 31)):
        for district in ("01", "02", "03"):
            for group in ("EU2", "DE", "ASYL8"):
                n_dates = int(rng.choice([1, 2, 5, 40, 400]))
                days = rng.choice(np.arange(0, 12_000), size=n_dates, replace=False)
                for d in days:
                    persons = int(rng.integers(1, 6))
                    kind = rng.choice(["exact", "born", "censored"], p=[0.8, 0.15, 0.05])
                    since = date(1990, 1, 1) if kind == "censored" else stichtag - timedelta(days=int(d))
                    rows.append(
                        {
                            "city": "testcity",
                            "stichtag": stichtag,
                            "district_code": district,
                            "nationality_group": group,
                            "in_city_since_lower_bound": since,
                            "kind": kind,
                            "persons": persons,
                        }
                    )
    df = pd.DataFrame(rows)
    # one row per date and cell, as int_dwell_time_counts has them
    return (
        df.assign(
            persons_born_in_city=np.where(df.kind == "born", df.persons, 0),
            persons_left_censored=np.where(df.kind == "censored", df.persons, 0),
            persons_exact=np.where(df.kind == "exact", df.persons, 0),
        )
        .groupby(
            ["city", "stichtag", "district_code", "nationality_group", "in_city_since_lower_bound"], as_index=False
        )[["persons", "persons_born_in_city", "persons_left_censored", "persons_exact"]]
        .sum()
    )


def test_dwell_time_median_equals_quantile_cont_over_persons(tmp_path, compiled_model):
    counts = _random_counts(seed=11)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("create schema intermediate")
    con.register("counts_df", counts)
    con.execute("create table intermediate.int_dwell_time_counts as select * from counts_df")
    mart = con.execute(compiled_model("fct_dwell_time_stock")).df()
    # the reference: one row per person, quantile_cont, and the lower-bound rule on the persons
    reference = con.execute("""
        with persons as (
            select c.*, date_diff('day', in_city_since_lower_bound, stichtag) / 365.25 as y,
                   e.i < persons_exact as is_exact
            from intermediate.int_dwell_time_counts as c, range(c.persons) as e(i)
        ),
        q as (
            select city, stichtag,
                   case when grouping(district_code) = 1 then 'INSGESAMT' else district_code end as district_code,
                   case when grouping(nationality_group) = 1 then 'INSGESAMT' else nationality_group end as nationality_group,
                   count(*) as persons, quantile_cont(y, 0.5) as median_years,
                   list(struct_pack(y := y, exact := is_exact)) as obs
            from persons
            group by grouping sets ((city, stichtag, district_code, nationality_group),
                                    (city, stichtag, district_code), (city, stichtag, nationality_group),
                                    (city, stichtag))
        )
        select * exclude (obs),
               len(list_filter(obs, o -> o.exact and o.y <= median_years)) < persons / 2.0 as median_is_lower_bound
        from q
    """).df()
    con.close()
    keys = ["city", "stichtag", "district_code", "nationality_group"]
    both = mart.merge(reference, on=keys, suffixes=("", "_ref"), validate="one_to_one")
    assert len(both) == len(reference) == len(mart) == 2 * (9 + 3 + 3 + 1)  # cells and totals, 2 dates
    assert (both.persons == both.persons_ref).all()
    assert (both.median_years == both.median_years_ref).all(), both.loc[
        both.median_years != both.median_years_ref, keys + ["median_years", "median_years_ref"]
    ]
    assert (both.median_is_lower_bound == both.median_is_lower_bound_ref).all()
    assert both.median_is_lower_bound.any() and (~both.median_is_lower_bound).any()


def test_unique_combination_finds_every_duplicate_and_nothing_else(tmp_path, demo_marts):
    compiled = demo_marts.parent / "dbt_target"  # one folder per dbt run below it
    # dbt shortens long test names to a hash: find the test by what it groups
    hits = [
        p
        for p in compiled.rglob("compiled/**/unique_combination_stg_bestand*.sql")
        if "hash(city, stichtag, person_pseudonym)" in p.read_text(encoding="utf-8")
    ]
    assert len(hits) == 1, hits
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("create schema staging")
    con.execute("""
        create table staging.stg_bestand__persons as
        select 'c' || (i % 3) as city, date '2024-12-31' as stichtag, 'p' || i as person_pseudonym
        from range(5000) as t(i)
        union all select 'c1', date '2024-12-31', 'p1'         -- p1 is in c1: a duplicate
        union all select 'c1', date '2024-12-31', 'p1'         -- and again: three rows
        union all select 'c0', date '2024-12-31', 'p1'         -- same person, other city: no duplicate
        union all select 'c2', null, null                      -- NULLs compare equal ...
        union all select 'c2', null, null                      -- ... so this is a duplicate
    """)
    found = con.execute(hits[0].read_text(encoding="utf-8")).fetchall()
    con.close()
    assert sorted(found, key=str) == sorted([("c1", date(2024, 12, 31), "p1", 3), ("c2", None, None, 2)], key=str)
