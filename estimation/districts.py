"""District strata: city x register district x nationality group (all ages, `age_band =
'INSGESAMT'`), where the counts allow it - arrival districts such as Dortmund's Nordstadt
are where the Dunkelziffer concentrates.

Methods (the same ideas as the city-wide strata, on the district's own children):
- `school_gone_dwell`: the gone shares per dwell class of the district's registered children
  aged 7-14 (the group's city-wide children when the district has fewer than
  `MIN_DISTRICT_CHILDREN`: flagged, since problem houses make gone shares local);
- `components_school` (recommended): unregistered = the district's unregistered children per
  registered child (register x school, Chapman; the group's city-wide rate when the district
  has too few children: flagged) x registered; residents = registered - gone + unregistered;
- `ratio_school`: registered x pupils aged 7-14 living in the district / registered children
  aged 7-14 of the district; unregistered = residents - (registered - gone).
Pupils are placed by the district of residence the school knows; the register by its
district. Unreported moves inside the city blur both (a known limitation).
Fewer than `MIN_DISTRICT_CHILDREN` registered children: a warning, so `valid = false`.
"""

from __future__ import annotations

import polars as pl

from estimation.components import TRANSFER_FACTOR, components, unregistered_rate
from estimation.gone import school_gone_dwell
from estimation.ratio import ratio_estimate
from estimation.result import guarded
from estimation.rows import resident_rows, row
from warehouse.vocabulary import WHOLE

MIN_DISTRICT_CHILDREN = 20
ALL_AGES = WHOLE


def district_rows(
    ch: pl.DataFrame, city: str, t, absent: dict | None = None, city_rates: dict | None = None
) -> list[dict]:
    """ch: capture histories with `district`, `school_district`, `dwell_class`, `age`,
    `left_before_census`, `register`, `school` (person-level; only counts leave).
    absent: the groups' absent shares (absent.absent_shares; a group not in it: the prior alone);
    city_rates: the groups' city-wide unregistered rates (components.unregistered_rate)."""
    registered = ch.filter(pl.col("register") == 1)
    kids = ch.filter(pl.col("age").is_between(7, 14))
    rows: list[dict] = []
    keys = (
        registered.select("district", "nationality_group").unique().drop_nulls().sort("district", "nationality_group")
    )
    for district, grp in keys.iter_rows():
        stratum = {"city": city, "stichtag": t, "nationality_group": grp, "age_band": ALL_AGES, "district": district}
        reg = registered.filter(district=district, nationality_group=grp)
        n_reg = float(reg.height)
        own = reg.filter(pl.col("age").is_between(7, 14) & ~pl.col("left_before_census"))
        city_children = registered.filter(
            pl.col("age").is_between(7, 14) & ~pl.col("left_before_census") & (pl.col("nationality_group") == grp)
        )
        small = own.height < MIN_DISTRICT_CHILDREN
        share = (absent or {}).get(grp)
        gone = guarded(
            "school_gone_dwell", ("registered_gone",), school_gone_dwell, reg, city_children if small else own, share
        )
        if small:
            gone.warnings.append(
                f"only {own.height} registered children in the district: city-wide gone shares of the group used"
            )
        rows.append(row(stratum, gone, n_reg))
        rate = (city_rates or {}).get(grp)
        if not small:
            gone_kids = guarded("school_gone_dwell", ("registered_gone",), school_gone_dwell, own, own, share)
            # school list of the district: its registered children at school plus the unregistered
            # pupils living there (pupils registered in another district belong to that one)
            linked = float(own["school"].sum())
            unreg_pupils = kids.filter(
                (pl.col("school") == 1)
                & (pl.col("register") == 0)
                & (pl.col("school_district") == district)
                & (pl.col("nationality_group") == grp)
            ).height
            rate = guarded(
                "components_school",
                ("unregistered_rate",),
                unregistered_rate,
                float(own.height),
                gone_kids,
                linked + unreg_pupils,
                linked,
            )
        if rate is not None and gone.estimable:
            unreg, total = guarded(
                "components_school",
                ("unregistered", "residents"),
                components,
                n_reg,
                gone,
                rate,
                transfer=TRANSFER_FACTOR,  # all ages of the district, mostly adults
            )
            if small:
                for e in (unreg, total):
                    e.warnings.append("city-wide unregistered rate of the group used")
            rows += [row(stratum, total, n_reg), row(stratum, unreg, n_reg)]
        pupils = float(
            kids.filter(
                (pl.col("school") == 1) & (pl.col("school_district") == district) & (pl.col("nationality_group") == grp)
            ).height
        )
        ratio = guarded("ratio_school", ("residents",), ratio_estimate, pupils, float(own.height), n_reg)
        if small:
            ratio.warnings.append(f"only {own.height} registered children in the district")
        if gone.estimable:  # unregistered = residents - (registered - gone) needs the gone
            rows += resident_rows(stratum, ratio, n_reg, gone, net=True)
    return rows
