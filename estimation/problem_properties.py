"""Inspection evidence from problem properties, as aggregated mart rows (method `inspection_ratio`).

Inspections say who is registered at an address and not found there (over-count) and who is
found there without registration (under-count). Those addresses are inspected *because* they
are problems, so the shares speak for the problem properties of the city only: the rows carry
`district = 'PROBLEMIMMOBILIEN'` and `nationality_group = age_band = 'INSGESAMT'` (the files have
no breakdown by person) and are never mixed with the city-wide strata.

Extrapolation: the not-found share of the inspected addresses is applied to everybody the
register lists at any property of the file on the reference date (address link in the city
layer; only the count leaves).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from estimation.overcount import inspection_ratio
from estimation.result import Z95, guarded
from warehouse.vocabulary import WHOLE

SCOPE = "PROBLEMIMMOBILIEN"
NOT_FOUND_CAVEAT = (
    "a registered person who is present but not met at the inspection counts as gone, "
    "so the gone figure leans high; found-unregistered counts only those met"
)


def latest_inspection_file(con, relation: str, city: str, t: date) -> pl.DataFrame:
    """Rows of the problem-property file whose `stichtag` is nearest `t` (inspected rows only)."""
    try:
        return con.execute(
            f"""
            with f as (select * from {relation} where city = $city),
            nearest as (select arg_min(stichtag, abs(date_diff('day', stichtag, $t))) as s from f)
            select f.* from f, nearest where f.stichtag = nearest.s
        """,
            {"city": city, "t": t},
        ).pl()
    except Exception:  # source not built for this warehouse: no inspection rows
        return pl.DataFrame()


def registered_at(con, bestand: str, city: str, t: date, addresses: list[str]) -> int:
    """Registered persons on `t` at the given addresses (person-level link, count only)."""
    if not addresses:
        return 0
    con.register("_pp_addr", pl.DataFrame({"a": addresses}).to_arrow())
    try:
        return int(
            con.execute(
                f"""select count(*) from {bestand} b
            where b.city = $city and b.stichtag = $t
              and b.adresse_pseudonym in (select a from _pp_addr)""",
                {"city": city, "t": t},
            ).fetchone()[0]
        )
    finally:
        con.unregister("_pp_addr")


def inspection_rows(con, rel: dict[str, str], city: str, t: date, row) -> list[dict]:
    """`row(stratum, estimate, registered)` builds a mart row (warehouse._row)."""
    relation = rel.get("problem_properties")
    if not relation:
        return []
    props = latest_inspection_file(con, relation, city, t)
    if props.is_empty():
        return []
    inspected = props.filter(pl.col("letzte_kontrolle").is_not_null() & pl.col("gemeldet_laut_register").is_not_null())
    if inspected.is_empty():
        return []
    n_reg = registered_at(con, rel["bestand"], city, t, props["adresse_pseudonym"].drop_nulls().unique().to_list())
    # The inspections took place on other days than t, so nothing is exact for t: the share
    # (cluster variance by address) is applied to everybody registered there on t.
    est = guarded("inspection_ratio", ("registered_gone", "unregistered"), inspection_ratio, inspected)
    if isinstance(est, tuple):  # failed: one not-estimable result per quantity
        est = {e.quantity: e for e in est}
    stratum = {
        "city": city,
        "stichtag": t,
        "nationality_group": WHOLE,
        "age_band": WHOLE,
        "district": SCOPE,
    }
    out = []
    for e in est.values():
        if e.inputs.get("share") is not None:
            share, share_se = e.inputs["share"], e.inputs["share_se"]
            e.point, e.se = share * n_reg, share_se * n_reg
            e.lower, e.upper = max(0.0, e.point - Z95 * e.se), e.point + Z95 * e.se
            if e.quantity == "registered_gone":
                e.upper = min(e.upper, float(n_reg))
            e.interval_method = "ratio estimator, cluster variance by address, share x registered there on t"
            e.inputs["registered_at_problem_properties"] = n_reg
        e.assumptions = f"{e.assumptions}; {NOT_FOUND_CAVEAT}"
        e.inputs["inspection_file"] = str(props["stichtag"][0])
        e.inputs["properties_in_file"] = props.height
        out.append(row(stratum, e, float(n_reg)))
    return out
