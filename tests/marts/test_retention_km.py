"""Kaplan-Meier retention in SQL (fct_retention_km) equals lifelines' KaplanMeierFitter.

Two data sets: random spells with ties, censoring and delayed entry written straight into
intermediate.int_registration_spells (the model's SQL as dbt compiled it for the demo build is
run on them), and the spells the demo world produces through ingest and dbt.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.exceptions import StatError

TOL = 1e-9


def _random_spells(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["EU2", "ASYL8", "DE"], size=n, p=[0.5, 0.3, 0.2])
    year = rng.choice([2020, 2021], size=n)
    delayed = rng.random(n) < 0.3
    entry = np.where(delayed, rng.integers(1, 400, size=n), 0)
    # coarse durations so that many exit times are tied; some equal to entry times of others
    duration = entry + rng.integers(0, 60, size=n) * 10
    left = rng.random(n) < 0.6
    return pd.DataFrame(
        dict(
            city="testcity",
            nationality_group=group,
            arrival_year=year,
            entry_days=entry.astype(int),
            duration_days=duration.astype(int),
            left_register=left,
        )
    )


def _write_spells(path, spells: pd.DataFrame) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists intermediate")
    con.register("spells_df", spells)
    con.execute("""create or replace table intermediate.int_registration_spells as
        select city, 'x' as person_pseudonym, nationality_group, date '2020-01-01' as arrival_date,
               entry_days::integer as entry_days, duration_days::bigint as duration_days,
               left_register, 'test' as spell_source, arrival_year::bigint as arrival_year
        from spells_df""")
    con.close()


def _compare(spells: pd.DataFrame, km: pd.DataFrame, declined: list | None = None) -> int:
    """Compare every stratum; returns the number of compared time points (strata lifelines
    declines are checked for the product-limit value instead and listed in `declined`)."""
    compared = 0
    declined = [] if declined is None else declined
    strata = [
        (g, y) for g, y in spells[["nationality_group", "arrival_year"]].drop_duplicates().itertuples(index=False)
    ]
    strata += [("INSGESAMT", y) for y in spells["arrival_year"].unique()]
    for group, year in strata:
        part = spells[(spells.arrival_year == year) & ((spells.nationality_group == group) | (group == "INSGESAMT"))]
        mine = (
            km[(km.nationality_group == group) & (km.arrival_year == year)].set_index("days_since_arrival").sort_index()
        )
        try:
            kmf = KaplanMeierFitter().fit(part.duration_days, part.left_register, entry=part.entry_days)
        except StatError:
            # lifelines declines a left-truncated cohort whose first entrants all leave before the
            # next one enters: the product-limit estimate is 0 from then on. The mart must show
            # exactly that, and only for a cohort not observed from arrival (not published).
            assert (part.entry_days > 0).all(), f"{group} {year}: lifelines declined an observed cohort"
            first_zero = mine.index[mine.survival == 0][0]
            assert (mine.loc[first_zero:, "survival"] == 0).all() and (mine.observed_from_days > 0).all()
            declined.append((group, year))
            continue
        expected_times = sorted(part.duration_days.unique())
        assert list(mine.index) == expected_times, f"{group} {year}: exit times differ"
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_survival_function_
        table = kmf.event_table
        for t, row in mine.iterrows():
            assert abs(row.survival - sf.loc[t]) <= TOL, f"{group} {year} t={t}: S"
            # lifelines' event table counts entrants at t as at risk, its estimate does not
            # (except at the first time point); fct_retention_km reports the estimate's risk set
            first = t == table.index[0]
            at_risk = table.loc[t, "at_risk"] - (0 if first else table.loc[t, "entrance"])
            assert row.n_at_risk == at_risk, f"{group} {year} t={t}: at risk"
            assert row.n_left == table.loc[t, "observed"], f"{group} {year} t={t}: events"
            lo, hi = ci.loc[t].iloc[0], ci.loc[t].iloc[1]
            if 0 < row.survival < 1:
                assert abs(row.ci_lower - lo) <= TOL and abs(row.ci_upper - hi) <= TOL, (
                    f"{group} {year} t={t}: CI ({row.ci_lower}, {row.ci_upper}) vs ({lo}, {hi})"
                )
            compared += 1
    return compared


def test_km_equals_lifelines_on_random_spells_with_delayed_entry(tmp_path, compiled_model):
    spells = _random_spells(seed=7)
    warehouse = tmp_path / "warehouse.duckdb"  # the compiled SQL names the database "warehouse"
    _write_spells(warehouse, spells)
    con = duckdb.connect(str(warehouse))
    km = con.execute(compiled_model("fct_retention_km")).df()
    con.close()
    assert _compare(spells, km) > 100


def test_km_equals_lifelines_on_demo_world(demo_con):
    spells = demo_con.execute("""select * from intermediate.int_registration_spells
                                 where city = 'dortmund' and arrival_year between 2015 and 2022""").df()
    km = demo_con.execute("""select * from marts.fct_retention_km
                             where city = 'dortmund' and arrival_year between 2015 and 2022""").df()
    assert spells.left_register.sum() > 50 and (spells.entry_days > 0).sum() > 50, (
        "demo world should give events and delayed entries"
    )
    declined = []
    assert _compare(spells, km, declined) > 100
    assert len(declined) <= 3, declined  # a rare pathology of small truncated cohorts, not the rule


# Freireich et al. (1963), 6-MP group of the remission trial (weeks; + = censored), the classic
# Kaplan-Meier example of the textbooks (Kleinbaum & Klein, Survival Analysis, ch. 2; Klein &
# Moeschberger 2003): event time -> (at risk, S(t), Greenwood standard error) as published.
SIX_MP_EVENTS = [6, 6, 6, 7, 10, 13, 16, 22, 23]
SIX_MP_CENSORED = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
SIX_MP_PUBLISHED = {
    6: (21, 0.8571, 0.0764),
    7: (17, 0.8067, 0.0869),
    10: (15, 0.7529, 0.0963),
    13: (12, 0.6902, 0.1068),
    16: (11, 0.6275, 0.1141),
    22: (7, 0.5378, 0.1282),
    23: (6, 0.4482, 0.1346),
}


def test_km_reproduces_the_published_6mp_leukaemia_estimates(tmp_path, compiled_model):
    """Kaplan & Meier (1958) on the 6-MP data: S(t) and Greenwood's standard error to the 4
    decimals of the textbook tables, risk sets exactly."""
    times = SIX_MP_EVENTS + SIX_MP_CENSORED
    spells = pd.DataFrame(
        dict(
            city="testcity",
            nationality_group="EU2",
            arrival_year=2020,
            entry_days=0,
            duration_days=times,
            left_register=[True] * len(SIX_MP_EVENTS) + [False] * len(SIX_MP_CENSORED),
        )
    )
    warehouse = tmp_path / "warehouse.duckdb"
    _write_spells(warehouse, spells)
    con = duckdb.connect(str(warehouse))
    km = con.execute(compiled_model("fct_retention_km")).df()
    con.close()
    km = km[(km.nationality_group == "EU2") & (km.n_left > 0)].set_index("days_since_arrival")
    assert sorted(km.index) == sorted(SIX_MP_PUBLISHED)
    for t, (at_risk, surv, se) in SIX_MP_PUBLISHED.items():
        assert km.loc[t, "n_at_risk"] == at_risk, t
        assert abs(km.loc[t, "survival"] - surv) < 5e-5, t
        assert abs(km.loc[t, "survival"] * np.sqrt(km.loc[t, "greenwood_sum"]) - se) < 5e-5, t
        assert km.loc[t, "observed_from_days"] == 0


def test_comparison_detects_a_wrong_survival(tmp_path):
    """The comparison can fail: a survival curve off by 1e-6 is reported."""
    spells = _random_spells(seed=3, n=60)
    part = spells.assign(nationality_group="EU2", arrival_year=2020)
    kmf = KaplanMeierFitter().fit(part.duration_days, part.left_register, entry=part.entry_days)
    times = sorted(part.duration_days.unique())
    fake = pd.DataFrame(
        dict(
            nationality_group="EU2",
            arrival_year=2020,
            days_since_arrival=times,
            survival=kmf.survival_function_.iloc[:, 0].loc[times].to_numpy() + 1e-6,
            n_at_risk=(kmf.event_table.loc[times, "at_risk"] - kmf.event_table.loc[times, "entrance"]).to_numpy(),
            n_left=kmf.event_table.loc[times, "observed"].to_numpy(),
            ci_lower=0.0,
            ci_upper=1.0,
        )
    )
    fake = pd.concat([fake, fake.assign(nationality_group="INSGESAMT")])
    with pytest.raises(AssertionError, match="S"):
        _compare(part, fake)
