"""District strata: city x register district x nationality group (all ages, `age_band =
'INSGESAMT'`), where the counts allow it - arrival districts such as Dortmund's Nordstadt
are where the Dunkelziffer concentrates.

Methods (the same ideas as the city-wide strata, on the district's own children):
- `school_gone_dwell`: the gone shares per dwell class of the district's registered children
  aged 7-14 (the group's city-wide children when the district has fewer than
  `MIN_DISTRICT_CHILDREN`: flagged, since problem houses make gone shares local);
- `ratio_school`: registered x pupils aged 7-14 living in the district / registered children
  aged 7-14 of the district; unregistered = residents - (registered - gone).
Pupils are placed by the district of residence the school knows; the register by its
district. Unreported moves inside the city blur both (a known limitation).
Fewer than `MIN_DISTRICT_CHILDREN` registered children: a warning, so `valid = false`.
"""
from __future__ import annotations

import math

import polars as pl

from estimation.gone import school_gone_dwell
from estimation.ratio import ratio_estimate
from estimation.rows import resident_rows, row

MIN_DISTRICT_CHILDREN = 20
ALL_AGES = "INSGESAMT"


def district_rows(ch: pl.DataFrame, city: str, t) -> list[dict]:
    """ch: capture histories with `district`, `school_district`, `dwell_class`, `age`,
    `left_before_census`, `register`, `school` (person-level; only counts leave)."""
    registered = ch.filter(pl.col("register") == 1)
    kids = ch.filter(pl.col("age").is_between(7, 14))
    rows: list[dict] = []
    keys = registered.select("district", "nationality_group").unique().drop_nulls().sort("district", "nationality_group")
    for district, grp in keys.iter_rows():
        stratum = {"city": city, "stichtag": t, "nationality_group": grp, "age_band": ALL_AGES, "district": district}
        reg = registered.filter(district=district, nationality_group=grp)
        n_reg = float(reg.height)
        own = reg.filter(pl.col("age").is_between(7, 14) & ~pl.col("left_before_census"))
        city_children = registered.filter(pl.col("age").is_between(7, 14) & ~pl.col("left_before_census")
                                          & (pl.col("nationality_group") == grp))
        small = own.height < MIN_DISTRICT_CHILDREN
        gone = school_gone_dwell(reg, city_children if small else own)
        if small:
            gone.warnings.append(f"only {own.height} registered children in the district: "
                                 "city-wide gone shares of the group used")
        rows.append(row(stratum, gone, n_reg))
        pupils = float(kids.filter((pl.col("school") == 1) & (pl.col("school_district") == district)
                                   & (pl.col("nationality_group") == grp)).height)
        ratio = ratio_estimate(pupils, float(own.height), n_reg)
        if small:
            ratio.warnings.append(f"only {own.height} registered children in the district")
        if math.isfinite(ratio.point) and math.isfinite(gone.point):
            rows += resident_rows(stratum, ratio, n_reg, gone, net=True)
    return rows
