"""Stratified estimates from the city-layer staging models (DuckDB), one reference date per city.

Strata: city x nationality group x standard age band on the register reference date `t`
(the quarter end nearest the latest school census). Lists per stratum: register (bestand on
t), school (pupils of the census living in the city; age band 06-14 only), SGB II persons of
the month of t (Optionskommunen), counselling contacts within +-`window_days` of t. A person's
stratum comes from the first list that has them (register, school, SGB II, counselling),
with age = year(t) - birth year as everywhere in the warehouse. Besides the city-wide strata:
district strata (districts.py) and the problem-property inspection rows (problem_properties.py).
The gone and unregistered estimates that the recommended `components_school` rows add up are in
gone.py, absent.py and components.py.

Person-level data are read here and never leave: the result has one row per stratum x
method x quantity with counts and estimates only.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import polars as pl

from estimation.absent import EVIDENCE_DAYS, EVIDENCE_EVENTS, absent_share, absent_shares
from estimation.components import TRANSFER_FACTOR, components, unregistered_rate
from estimation.districts import district_rows
from estimation.dual_system import dual_system
from estimation.gone import dwell_class, school_gone_dwell
from estimation.loglinear import ASSUMPTIONS as MSE_ASSUMPTIONS
from estimation.loglinear import multiple_systems
from estimation.overcount import lag_overcount, school_gone, school_gone_share
from estimation.problem_properties import inspection_rows
from estimation.ratio import ratio_estimate
from estimation.result import Z95, Estimate, guarded, not_estimable
from estimation.rows import resident_rows as _resident_rows
from estimation.rows import row as _row
from warehouse.vocabulary import WHOLE, age_band_sql

DEFAULT_RELATIONS = {
    "bestand": "staging.stg_bestand__persons",
    "schule": "staging.stg_schule__pupils",
    "sgb2": "staging.stg_sgb2__persons",
    "beratung": "staging.stg_beratung__contacts",
    "meldewesen": "staging.stg_meldewesen__events",
    "problem_properties": "staging.stg_wohnen__problem_properties",
}
OUTFLOWS_LATE = ("AVA", "FO_AUSLAND", "FO_INLAND", "FO_UNBEKANNT")
OUTFLOWS_SELF = ("FO_AUSLAND", "FO_INLAND", "FO_UNBEKANNT")  # deregistered by the person
STRUCTURAL_ZEROS = [{"register": 0, "sgb2": 1}]  # SGB II requires registration
CHILDREN_BAND = "06-14"  # the band the school list covers
MIN_STRATUM = 20  # fewer registered or listed persons: no estimate, only the counts
COUNSELLING_WINDOW_DAYS = 91  # counselling contacts within +- this many days of t form a list
# Preference order per (age band kind, quantity); the first method present is recommended.
# Chosen on the validation against the demo world's truth (METHODS.md); gone and unregistered come
# from the same lists, so the recommended rows decompose: residents = registered - gone + unregistered.
RECOMMENDATION = {
    ("children", "registered_gone"): ["school_gone_dwell", "school_gone_share", "lag_projection"],
    ("others", "registered_gone"): ["school_gone_dwell", "school_gone_share", "lag_projection"],
    ("children", "residents"): ["components_school", "ratio_school", "dse_register_school", "mse_loglinear"],
    ("others", "residents"): ["components_school", "ratio_school", "mse_loglinear", "dse_register_counselling"],
}

# The mart's columns (marts.fct_dunkelziffer_estimates; its source YAML documents them).
ESTIMATE_SCHEMA = {
    "city": pl.String,
    "stichtag": pl.Date,
    "nationality_group": pl.String,
    "age_band": pl.String,
    "district": pl.String,
    "method": pl.String,
    "quantity": pl.String,
    "registered": pl.Float64,
    "point": pl.Float64,
    "lower": pl.Float64,
    "upper": pl.Float64,
    "se": pl.Float64,
    "interval_method": pl.String,
    "assumptions": pl.String,
    "warnings": pl.String,
    "valid": pl.Boolean,
    "status": pl.String,
    "model": pl.String,
    "inputs": pl.String,
    "alternatives": pl.String,
}


def reference_dates(con, rel: dict[str, str]) -> dict[str, tuple[date, date]]:
    """city -> (register reference date t, school census day) nearest the latest census."""
    rows = con.execute(f"""
        with census as (select city, max(stichtag) as census from {rel["schule"]} group by city),
        dates as (select distinct city, stichtag from {rel["bestand"]})
        select d.city, arg_min(d.stichtag, abs(date_diff('day', d.stichtag, c.census))), c.census
        from dates d join census c using (city) group by d.city, c.census
    """).fetchall()
    return {city: (t, census) for city, t, census in rows}


def capture_histories(
    con, rel: dict[str, str], city: str, t: date, census: date, window_days: int = COUNSELLING_WINDOW_DAYS
) -> pl.DataFrame:
    """One row per person seen by any list: stratum, 0/1 per list (person-level; city layer).

    Besides the stratum: `district` (register district, else the pupil's district of residence),
    `school_district` (pupils), `dwell` (years in the city on t by `zuzug_datum`; -1 = born in
    the city) and `left_before_census` (registered on t, deregistered themselves between t and
    the census day: present on t, so not gone, and rightly not at school).
    Pupils with an unknown district who are not in the register are left out: an empty
    `wohnbezirk` is also how pupils living outside the city are delivered.
    """
    # values are bound parameters ($city, $t, ...); only relation names (dbt's subqueries) and the
    # fixed list names of this module are written into the SQL text
    band = age_band_sql("(year($t) - geburtsjahr)")
    age = "year($t) - geburtsjahr"
    has_sgb2 = _has_rows(con, rel.get("sgb2"), city)
    has_beratung = _has_rows(con, rel.get("beratung"), city)
    # years registered in the city on t: since the last move in, or since birth (mid-year) for the city-born
    dwell = "coalesce(date_diff('day', zuzug_datum, $t), date_diff('day', make_date(geburtsjahr, 7, 1), $t)) / 365.25"
    parts = [
        f"""select person_pseudonym as pid, nationality_group as grp, {band} as age_band,
                 {age} as age, 'register' as list, 1 as prio,
                 bezirk as district, null::varchar as school_district, {dwell} as dwell,
                 adresse_pseudonym as address
                 from {rel["bestand"]} where city = $city and stichtag = $t""",
        f"""select schueler_pseudonym, nationality_group, {band}, {age}, 'school', 2,
                 residence_district, residence_district, null, null
                 from {rel["schule"]} where city = $city and stichtag = $census
                 and coalesce(residence_district, '') <> 'AUSSERHALB'""",
    ]
    if has_sgb2:
        parts.append(f"""select person_pseudonym, nationality_group, {band}, {age}, 'sgb2', 3,
                 null, null, null, null
                 from {rel["sgb2"]} where city = $city and monat = date_trunc('month', $t)""")
    if has_beratung:
        parts.append(f"""select person_pseudonym, nationality_group, {band}, {age}, 'counselling', 4,
                 null, null, null, null
                 from {rel["beratung"]} where city = $city and kontakt_datum between $window_from and $window_to""")
    lists = ["register", "school"] + (["sgb2"] if has_sgb2 else []) + (["counselling"] if has_beratung else [])
    flags = ", ".join(f"max((list = '{name}')::int) as {name}" for name in lists)
    # demonstrably living in the city around t (estimation.absent): benefits, counselling, a recent
    # arrival / move inside the city / birth
    evidence = [
        f"""select person_pseudonym from {rel["meldewesen"]} where city = $city
                    and list_contains($evidence_events, ereignis_art)
                    and ereignis_datum between $evidence_from and $t"""
    ]
    evidence += [f"select pid from seen where list = '{name}'" for name in ("sgb2", "counselling") if name in lists]
    params = {
        "city": city,
        "t": t,
        "census": census,
        "window_from": t - timedelta(days=window_days),
        "window_to": t + timedelta(days=window_days),
        "evidence_from": t - timedelta(days=EVIDENCE_DAYS),
        "evidence_events": list(EVIDENCE_EVENTS),
        "self_outflows": list(OUTFLOWS_SELF),
    }
    ch = con.execute(
        f"""
        with seen as ({" union all ".join(parts)}),
        evidence as ({" union ".join(evidence)}),
        left_early as (select distinct person_pseudonym as pid from {rel["meldewesen"]}
                       where city = $city and list_contains($self_outflows, ereignis_art)
                       and ereignis_datum > $t and ereignis_datum <= $census)
        select pid, arg_min(grp, prio) as nationality_group, arg_min(age_band, prio) as age_band,
               arg_min(age, prio) as age, arg_min(district, prio) as district,
               max(school_district) as school_district, max(dwell) as dwell,
               max(address) as address, {flags},
               pid in (select pid from left_early) as left_before_census,
               pid in (select * from evidence) as present_evidence
        from seen group by pid
        order by pid
    """,
        params,
    ).pl()  # ordered: sums over the rows below must not depend on DuckDB's hash order
    # unlinked pupils of unknown residence cannot be told apart from pupils living outside
    return ch.filter(
        ~(
            (pl.col("register") == 0)
            & (pl.col("school") == 1)
            & (pl.col("school_district").fill_null("UNBEKANNT") == "UNBEKANNT")
        )
    )


def _has_rows(con, relation: str | None, city: str) -> bool:
    if not relation:
        return False
    try:
        return con.execute(f"select count(*) from {relation} where city = $city", {"city": city}).fetchone()[0] > 0
    except Exception:  # relation absent (source not built): the list is simply not used
        return False


def outflow_events(con, rel: dict[str, str], city: str, t: date) -> pl.DataFrame:
    return con.execute(
        f"""
        select ereignis_datum, meldedatum, nationality_group, {age_band_sql("(year($t) - geburtsjahr)")} as age_band
        from {rel["meldewesen"]} where city = $city and list_contains($kinds, ereignis_art)
    """,
        {"city": city, "t": t, "kinds": list(OUTFLOWS_LATE)},
    ).pl()


def estimate_city(con, rel: dict[str, str], city: str, t: date, census: date) -> list[dict]:
    """All estimates of one city on reference date t (rows for the mart)."""
    ch = capture_histories(con, rel, city, t, census)
    events = outflow_events(con, rel, city, t)
    as_of = con.execute(
        f"select max(meldedatum) from {rel['meldewesen']} where city = $city", {"city": city}
    ).fetchone()[0]
    lists_all = [c for c in ("register", "school", "sgb2", "counselling") if c in ch.columns]
    rows: list[dict] = []
    # Coverage of the register for children, per group: the school ratio.
    # Children surely of school age on the census day: age 7-14 in birth-year steps (a "6" born
    # late in the year is still 5 and not yet at school).
    kids = (
        ch.filter(pl.col("age").is_between(7, 14))
        .group_by("nationality_group")
        .agg(
            pl.col("register").sum().alias("reg_kids"),
            pl.col("school").sum().alias("pupils"),
            (pl.col("register") * pl.col("school")).sum().alias("reg_pupils"),
        )
    )
    kid_counts = {r["nationality_group"]: r for r in kids.iter_rows(named=True)}
    ch = ch.with_columns(dwell_class=dwell_class(pl.col("dwell")))
    registered = ch.filter(pl.col("register") == 1)
    # children for the gone shares: present on t for sure if they deregistered after t
    children = registered.filter(pl.col("age").is_between(7, 14) & ~pl.col("left_before_census"))
    # the absent share of each group from its own evidence children (absent.py)
    absent = absent_shares(children)
    rates = _unregistered_rates(ch, children, absent)
    for (grp, band), part in ch.group_by(["nationality_group", "age_band"], maintain_order=True):
        stratum = {"city": city, "stichtag": t, "nationality_group": grp, "age_band": band, "district": WHOLE}
        n_reg = float(part["register"].sum())
        ev = events.filter((pl.col("nationality_group") == grp) & (pl.col("age_band") == band))
        # Each method is guarded: a stratum where one is not defined gets a not-estimable row with
        # the reason, and the other methods and strata go on (METHODS.md, "Degenerate strata").
        lag = guarded(
            "lag_projection", ("registered_gone",), lag_overcount, ev, t, as_of=as_of, reference_events=events
        )
        rows.append(_row(stratum, lag, n_reg))
        gone = lag
        kc = kid_counts.get(grp)
        if kc and kc["reg_kids"] > 0:
            flat = guarded("school_gone_share", ("registered_gone",), _flat_gone, n_reg, kc, _absent_of(absent, grp))
            rows.append(_row(stratum, flat, n_reg))
            dwell = guarded(
                "school_gone_dwell",
                ("registered_gone",),
                school_gone_dwell,
                registered.filter(nationality_group=grp, age_band=band),
                children.filter(nationality_group=grp),
                _absent_of(absent, grp),
            )
            rows.append(_row(stratum, dwell, n_reg))
            gone = dwell if dwell.estimable else flat if flat.estimable else lag
            if grp in rates and dwell.estimable:
                unreg, total = guarded(
                    "components_school",
                    ("unregistered", "residents"),
                    components,
                    n_reg,
                    dwell,
                    rates[grp],
                    transfer=1.0 if band == CHILDREN_BAND else TRANSFER_FACTOR,
                )
                rows += [_row(stratum, total, n_reg), _row(stratum, unreg, n_reg)]
        lists = [c for c in lists_all if part[c].sum() > 0 and (c != "school" or band == "06-14")]
        for other, method in (("school", "dse_register_school"), ("counselling", "dse_register_counselling")):
            if other in lists:  # the school list only for 06-14 (see `lists`)
                n2, m = float(part[other].sum()), float((part["register"] * part[other]).sum())
                dse = guarded(
                    method,
                    ("residents",),
                    dual_system,
                    n_reg,
                    n2,
                    m,
                    n1_gone=gone.point,
                    n1_gone_var=(gone.se or 0) ** 2,
                )
                dse.method = method
                rows += _resident_rows(stratum, dse, n_reg, gone)
        if len(lists) >= 2 and len(part) >= MIN_STRATUM:
            mse = guarded("mse_loglinear", ("residents",), _mse_gone_corrected, part, lists, gone)
            rows += _resident_rows(stratum, mse, n_reg, gone)
        if kc and n_reg > 0:
            ratio = guarded(
                "ratio_school", ("residents",), ratio_estimate, float(kc["pupils"]), float(kc["reg_kids"]), n_reg
            )
            rows += _resident_rows(stratum, ratio, n_reg, gone, net=True)
    rows += district_rows(ch, city, t, absent, rates)
    return rows


def _absent_of(absent: dict, grp: str) -> tuple[float, float, dict]:
    """The group's absent share; a group without registered children has only the prior."""
    return absent.get(grp) or absent_share(0.0, 0.0)


def _flat_gone(n_reg: float, kc: dict, absent) -> Estimate:
    share, share_se = school_gone_share(float(kc["reg_kids"]), float(kc["reg_pupils"]), absent[:2])
    return school_gone(n_reg, share, share_se, float(kc["reg_kids"]), absent[2])


def _unregistered_rates(ch: pl.DataFrame, children: pl.DataFrame, absent) -> dict[str, Estimate]:
    """Per group: unregistered children 7-14 per registered child (components method)."""
    pupils = ch.filter(pl.col("age").is_between(7, 14) & (pl.col("school") == 1))
    out = {}
    for grp, kids in children.group_by("nationality_group", maintain_order=True):
        grp = grp[0]
        if kids.height == 0:
            continue
        gone_kids = guarded(
            "school_gone_dwell", ("registered_gone",), school_gone_dwell, kids, kids, _absent_of(absent, grp)
        )
        p = pupils.filter(nationality_group=grp)
        # kept when not estimable: the components rows then carry the reason
        out[grp] = guarded(
            "components_school",
            ("unregistered_rate",),
            unregistered_rate,
            float(kids.height),
            gone_kids,
            float(p.height),
            float(kids["school"].sum()),
        )
    return out


def _mse_gone_corrected(part: pl.DataFrame, lists: list[str], gone: Estimate) -> Estimate:
    """MSE with the estimated gone taken off the register-only cell (they can sit nowhere else);
    the uncertainty of that correction is propagated through the chosen model. Not estimable
    (with the reason) when no model is identifiable or the gone correction has no number."""
    if not gone.estimable:
        return not_estimable(
            "mse_loglinear",
            "residents",
            "the register's gone correction is not estimable here",
            assumptions=MSE_ASSUMPTIONS,
        )
    # persons of the stratum seen only on a list left out here (the school list outside 06-14) have
    # no history on these lists and are no capture at all for this model
    agg = part.filter(pl.any_horizontal(pl.col(c) == 1 for c in lists)).group_by(lists).len().sort(lists)
    H = agg.select(lists).to_numpy()
    y = agg["len"].to_numpy().astype(float)
    reg_only = np.array([[1] + [0] * (len(lists) - 1)])
    try:
        est = multiple_systems(
            np.vstack([H, reg_only]), np.r_[y, -gone.point], lists, structural_zeros=STRUCTURAL_ZEROS
        )
    except ValueError as exc:  # no identifiable model with a finite estimate in this stratum
        return not_estimable(
            "mse_loglinear",
            "residents",
            str(exc),
            assumptions=MSE_ASSUMPTIONS,
            inputs={"lists": lists, "n_seen": float(y.sum())},
        )
    se_g = gone.se or 0.0
    if se_g > 0:
        pairs = [tuple(p.split(":")) for p in est.details["model"]]
        try:
            shifted = multiple_systems(
                np.vstack([H, reg_only]),
                np.r_[y, -(gone.point + se_g)],
                lists,
                structural_zeros=STRUCTURAL_ZEROS,
                force_interactions=pairs,
            )
        except ValueError:
            est.warnings.append("uncertainty of the gone correction could not be propagated")
            return est
        extra = (shifted.point - est.point) ** 2  # (dN/dgone * se_gone)^2
        half_lo, half_hi = est.point - est.lower, est.upper - est.point
        est.lower = est.point - math.sqrt(half_lo**2 + Z95**2 * extra)
        est.upper = est.point + math.sqrt(half_hi**2 + Z95**2 * extra)
    return est


def estimate_all(con, rel: dict[str, str] | None = None) -> pl.DataFrame:
    """Estimates for every city with a register and a school census (the mart's content)."""
    rel = {**DEFAULT_RELATIONS, **(rel or {})}
    rows: list[dict] = []
    for city, (t, census) in sorted(reference_dates(con, rel).items()):
        rows += estimate_city(con, rel, city, t, census)
        rows += inspection_rows(con, rel, city, t, _row)
    df = pl.DataFrame(rows, schema=ESTIMATE_SCHEMA, orient="row") if rows else pl.DataFrame(schema=ESTIMATE_SCHEMA)
    return mark_recommended(df)


def city_slices(t: date, census: date) -> dict[str, str | None]:
    """Per relation, the rows of one city that `estimate_city` and `inspection_rows` read for
    reference date `t` (a portable SQL condition besides the city; None: all of the city's rows).
    estimation/in_engine.py reads only these through the engine; the register on other dates, other
    censuses, months and contacts play no part in the estimates."""
    return {
        "bestand": f"stichtag = date '{t}'",
        "schule": f"stichtag = date '{census}'",
        "sgb2": f"monat = date '{t.replace(day=1)}'",
        "beratung": (
            f"kontakt_datum between date '{t - timedelta(days=COUNSELLING_WINDOW_DAYS)}'"
            f" and date '{t + timedelta(days=COUNSELLING_WINDOW_DAYS)}'"
        ),
        "meldewesen": None,  # the outflows of all time (lag distribution) and the delivery horizon
        "problem_properties": None,  # the inspection file nearest t
    }


def mark_recommended(df: pl.DataFrame) -> pl.DataFrame:
    """Add `recommended`: per stratum and quantity the first usable method of RECOMMENDATION.

    Usable = a point and both interval limits (not estimable or unbounded results are skipped).
    Residents and unregistered come as a pair from one method, so a method is usable for them
    only when both of its rows are: the recommended rows keep decomposing.
    """
    stratum = ["city", "stichtag", "nationality_group", "age_band", "district"]
    kind = pl.when(pl.col("age_band") == "06-14").then(pl.lit("children")).otherwise(pl.lit("others"))
    family = (
        pl.when(pl.col("quantity").is_in(["residents", "unregistered"]))
        .then(pl.lit("residents"))
        .otherwise(pl.col("quantity"))
    )
    usable = pl.col("point").is_not_null() & pl.col("lower").is_not_null() & pl.col("upper").is_not_null()
    df = df.with_columns(family.alias("_family"), usable.alias("_usable"))
    df = df.with_columns(pl.col("_usable").all().over(stratum + ["method", "_family"]).alias("_usable"))
    rank_expr = pl.lit(99)
    for (k, q), methods in RECOMMENDATION.items():
        for i, m in enumerate(methods):
            rank_expr = (
                pl.when((kind == k) & (pl.col("_family") == q) & (pl.col("method") == m) & pl.col("_usable"))
                .then(pl.lit(i))
                .otherwise(rank_expr)
            )
    df = df.with_columns(rank_expr.alias("_rank"))
    best = pl.col("_rank") == pl.col("_rank").min().over(stratum + ["quantity"])
    return df.with_columns((best & (pl.col("_rank") < 99)).alias("recommended")).drop("_rank", "_family", "_usable")
