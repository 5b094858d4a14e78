"""Cross-source plausibility (warnings): ratios between sources that must stay in a range.

- pupils_per_registered_child: pupils aged about 6-17 on the census day / registered residents
  of that age at the last quarter end before it (pupils need not be registered, so a ratio
  above 1 is possible; far above or below means one of the two files is off).
- sgb2_share_of_population: persons in SGB II units (sum over districts; suppressed cells are
  missing, so this is a lower bound) / registered persons of the group at the quarter end.
- persons_per_dwelling: persons the register lists at a problem property / its occupied
  dwellings. Subjects are districts, never addresses or objects.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from quality import gx_engine
from quality.reconciliation import GROUP_JOINS, GROUP_OF_ROW, _nationality_groups, city_nationals
from quality.results import CheckResult
from quality.suites import SuiteError, load_suite
from quality.tolerances import tolerances

INDEX = ["city", "period", "kind", "subject"]
MIN_DENOMINATOR = 20  # smaller groups make ratios meaningless


# One query per kind for every city checked (`_city_nat`: the cities, with their national group).
_PUPILS_SQL = """
    WITH sch AS (
        SELECT s.city, s.stichtag, coalesce(n.group_de, 'DRITT_SONST') AS grp_iso, s.geburtsjahr,
               s.staatsangehoerigkeit_iso3 AS iso3
        FROM raw.schule s LEFT JOIN (SELECT DISTINCT iso3, group_de FROM _nat_iso) n
          ON n.iso3 = s.staatsangehoerigkeit_iso3
        WHERE s.city IN (SELECT city FROM _city_nat) AND year(s.stichtag) - s.geburtsjahr BETWEEN 7 AND 17),
    days AS (SELECT city, stichtag, count(*) AS n FROM sch GROUP BY ALL),
    stock_days AS (SELECT DISTINCT city, stichtag FROM raw.bestand WHERE city IN (SELECT city FROM _city_nat)),
    ref AS (SELECT d.city, d.stichtag, max(b.stichtag) AS stock_day
            FROM days d LEFT JOIN stock_days b ON b.city = d.city AND b.stichtag <= d.stichtag GROUP BY ALL),
    kids AS (SELECT r.city, r.stichtag, count(*) AS n FROM ref r JOIN raw.bestand b
               ON b.city = r.city AND b.stichtag = r.stock_day
              AND year(r.stichtag) - b.geburtsjahr BETWEEN 7 AND 17 GROUP BY ALL)
    SELECT d.city, CAST(d.stichtag AS VARCHAR) AS period, 'pupils_per_registered_child' AS kind,
           'all pupils' AS subject, d.n AS numerator, k.n AS denominator
    FROM days d LEFT JOIN kids k ON k.city = d.city AND k.stichtag = d.stichtag
    ORDER BY 1, 2"""
_SGB2_SQL = f"""
    WITH s AS (SELECT city, monat, staatsangehoerigkeit_gruppe AS grp, sum(personen_in_bg) AS n
               FROM raw.sgb2_aggregat
               WHERE city IN (SELECT city FROM _city_nat) AND staatsangehoerigkeit_gruppe <> 'INSGESAMT'
               GROUP BY ALL),
         b AS (SELECT t.city, t.stichtag, {GROUP_OF_ROW.format(t="t")} AS grp, count(*) AS n
               FROM raw.bestand t {GROUP_JOINS.format(t="t")} GROUP BY ALL)
    SELECT s.city, strftime(s.monat, '%Y-%m') AS period, 'sgb2_share_of_population' AS kind, s.grp AS subject,
           s.n AS numerator, b.n AS denominator
    FROM s JOIN b ON b.city = s.city AND b.stichtag = last_day(s.monat) AND b.grp = s.grp
    ORDER BY 1, 2, 4"""
_DWELL_SQL = """
    SELECT city, CAST(stichtag AS VARCHAR) AS period, 'persons_per_dwelling' AS kind,
           'district ' || coalesce(bezirk, '?') AS subject,
           gemeldet_laut_register AS numerator, wohneinheiten - coalesce(leerstand_we, 0) AS denominator
    FROM raw.wohnen_problemimmobilien
    WHERE city IN (SELECT city FROM _city_nat) AND gemeldet_laut_register IS NOT NULL
    ORDER BY 1, 2, 4, source_line"""


def plausibility_frame(con, cities: list[str] | None = None) -> pd.DataFrame:
    import csv

    from ingest.config import NATIONALITIES_CSV

    with NATIONALITIES_CSV.open(encoding="utf-8") as fh:
        iso = pd.DataFrame([(r["iso3"], r["group_de"]) for r in csv.DictReader(fh)], columns=["iso3", "group_de"])
    found = sorted(
        {
            r[0]
            for t in ("schule", "sgb2_aggregat", "wohnen_problemimmobilien")
            for r in con.execute(f"SELECT DISTINCT city FROM raw.{t}").fetchall()
        }
    )
    found = [c for c in found if cities is None or c in cities]
    if not found:
        return pd.DataFrame()
    con.register("_nat_groups", _nationality_groups())
    con.register("_nat_iso", iso)
    con.register("_city_nat", city_nationals(found))
    try:
        kinds = [con.execute(sql).df() for sql in (_PUPILS_SQL, _SGB2_SQL, _DWELL_SQL)]
    finally:
        for name in ("_nat_groups", "_nat_iso", "_city_nat"):
            con.unregister(name)
    frames = []
    for city in found:  # city by city, kind by kind: the order the record is written in
        ranges = tolerances(city)["plausibility"]
        for k in kinds:
            f = k[k["city"] == city].drop(columns="city").reset_index(drop=True)
            if f.empty:
                continue
            f.insert(0, "city", city)
            f["min_ratio"] = [float(ranges[x][0]) for x in f["kind"]]
            f["max_ratio"] = [float(ranges[x][1]) for x in f["kind"]]
            frames.append(f)
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True)
    frame["numerator"] = frame["numerator"].astype("float64")
    frame["denominator"] = frame["denominator"].astype("float64")
    usable = (frame["denominator"] >= MIN_DENOMINATOR) | (
        (frame["kind"] == "persons_per_dwelling") & (frame["denominator"] > 0)
    )
    frame["ratio"] = (frame["numerator"] / frame["denominator"]).where(usable)
    return frame


def run_plausibility(con, cities: list[str] | None = None, suite_dir=None) -> list[CheckResult]:
    frame = plausibility_frame(con, cities)
    if frame.empty:
        return []
    try:
        suite = load_suite("plausibility", suite_dir)
        outcomes = gx_engine.validate(suite, frame, {}, INDEX)
    except (SuiteError, ImportError) as exc:
        return [
            CheckResult(
                city=c,
                asset="plausibility",
                period=None,
                check_name="plausibility.suite_could_not_run",
                severity="warning",
                outcome="error",
                details=f"{type(exc).__name__}: {exc}",
            )
            for c in sorted(frame["city"].unique())
        ]
    # What each (city, period, kind) shows, computed once, not once per expectation.
    observed = {}
    for (city, period, kind), g in frame.groupby(["city", "period", "kind"]):
        ratios = g["ratio"].dropna()
        observed[(city, period, kind)] = (
            f"ratio {ratios.min():.2f}..{ratios.max():.2f} over {len(ratios)} subject(s), "
            f"allowed {g['min_ratio'].iloc[0]}..{g['max_ratio'].iloc[0]}"
            if len(ratios)
            else "too few cases to judge"
        )
    results = []
    for o in outcomes:
        failing = defaultdict(list)
        if o.outcome == "failed":
            for k in o.failures_by_key:
                failing[k[:3]].append(k)
        for (city, period, kind), seen in observed.items():
            bad = failing.get((city, period, kind), [])
            failed = o.outcome == "error" or bool(bad)
            results.append(
                CheckResult(
                    city=city,
                    asset="plausibility",
                    period=period,
                    check_name=f"plausibility.{kind}.{o.check}",
                    severity=o.severity,
                    outcome="error" if o.outcome == "error" else "failed" if failed else "passed",
                    failed_rows=sum(o.failures_by_key[k] for k in bad),
                    observed=seen,
                    details=o.details if failed else None,
                    examples=[{"subject": k[3]} for k in bad[:5]],
                )
            )
    return results
