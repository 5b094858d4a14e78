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

import pandas as pd

from quality import gx_engine
from quality.reconciliation import _group, _nationality_groups
from quality.results import CheckResult
from quality.suites import SuiteError, load_suite
from quality.tolerances import tolerances
from ingest.config import load_cities

INDEX = ["city", "period", "kind", "subject"]
MIN_DENOMINATOR = 20   # smaller groups make ratios meaningless


def _frames(con, city: str, country: str) -> list[pd.DataFrame]:
    national = ("148", "NL") if country == "NL" else ("000", "DE")
    grp = _group("", *national)
    p = {"city": city}
    pupils = con.execute(f"""
        WITH sch AS (
            SELECT s.stichtag, coalesce(n.group_de, 'DRITT_SONST') AS grp_iso, s.geburtsjahr,
                   s.staatsangehoerigkeit_iso3 AS iso3
            FROM raw.schule s LEFT JOIN (SELECT DISTINCT iso3, group_de FROM _nat_iso) n
              ON n.iso3 = s.staatsangehoerigkeit_iso3
            WHERE s.city = $city AND year(s.stichtag) - s.geburtsjahr BETWEEN 7 AND 17),
        days AS (SELECT DISTINCT stichtag FROM sch),
        ref AS (SELECT d.stichtag, (SELECT max(b.stichtag) FROM raw.bestand b
                                    WHERE b.city = $city AND b.stichtag <= d.stichtag) AS stock_day FROM days d),
        kids AS (SELECT r.stichtag, count(*) AS n FROM ref r JOIN raw.bestand b
                   ON b.city = $city AND b.stichtag = r.stock_day
                  AND year(r.stichtag) - b.geburtsjahr BETWEEN 7 AND 17 GROUP BY ALL)
        SELECT CAST(d.stichtag AS VARCHAR) AS period, 'pupils_per_registered_child' AS kind,
               'all pupils' AS subject, (SELECT count(*) FROM sch WHERE sch.stichtag = d.stichtag) AS numerator,
               k.n AS denominator
        FROM days d LEFT JOIN kids k ON k.stichtag = d.stichtag""", p).df()
    sgb2 = con.execute(f"""
        WITH s AS (SELECT monat, staatsangehoerigkeit_gruppe AS grp, sum(personen_in_bg) AS n
                   FROM raw.sgb2_aggregat WHERE city = $city AND staatsangehoerigkeit_gruppe <> 'INSGESAMT'
                   GROUP BY ALL),
             b AS (SELECT stichtag, {grp} AS grp, count(*) AS n FROM raw.bestand WHERE city = $city GROUP BY ALL)
        SELECT strftime(s.monat, '%Y-%m') AS period, 'sgb2_share_of_population' AS kind, s.grp AS subject,
               s.n AS numerator, b.n AS denominator
        FROM s JOIN b ON b.stichtag = last_day(s.monat) AND b.grp = s.grp""", p).df()
    dwell = con.execute("""
        SELECT CAST(stichtag AS VARCHAR) AS period, 'persons_per_dwelling' AS kind,
               'district ' || coalesce(bezirk, '?') AS subject,
               gemeldet_laut_register AS numerator, wohneinheiten - coalesce(leerstand_we, 0) AS denominator
        FROM raw.wohnen_problemimmobilien WHERE city = $city AND gemeldet_laut_register IS NOT NULL""", p).df()
    return [pupils, sgb2, dwell]


def plausibility_frame(con, cities: list[str] | None = None) -> pd.DataFrame:
    nat = _nationality_groups()
    import csv
    from ingest.config import NATIONALITIES_CSV
    with NATIONALITIES_CSV.open(encoding="utf-8") as fh:
        iso = pd.DataFrame([(r["iso3"], r["group_de"]) for r in csv.DictReader(fh)], columns=["iso3", "group_de"])
    con.register("_nat_groups", nat)
    con.register("_nat_iso", iso)
    frames = []
    try:
        configured = load_cities()
        found = sorted({r[0] for t in ("schule", "sgb2_aggregat", "wohnen_problemimmobilien")
                        for r in con.execute(f"SELECT DISTINCT city FROM raw.{t}").fetchall()})
        for city in found:
            if cities is not None and city not in cities:
                continue
            ranges = tolerances(city)["plausibility"]
            for f in _frames(con, city, configured[city].country if city in configured else "DE"):
                if f.empty:
                    continue
                f.insert(0, "city", city)
                f["min_ratio"] = [float(ranges[k][0]) for k in f["kind"]]
                f["max_ratio"] = [float(ranges[k][1]) for k in f["kind"]]
                frames.append(f)
    finally:
        con.unregister("_nat_groups")
        con.unregister("_nat_iso")
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True)
    frame["numerator"] = frame["numerator"].astype("float64")
    frame["denominator"] = frame["denominator"].astype("float64")
    usable = (frame["denominator"] >= MIN_DENOMINATOR) | ((frame["kind"] == "persons_per_dwelling") & (frame["denominator"] > 0))
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
        return [CheckResult(city=c, asset="plausibility", period=None, check_name="plausibility.suite_could_not_run",
                            severity="warning", outcome="error", details=f"{type(exc).__name__}: {exc}")
                for c in sorted(frame["city"].unique())]
    results = []
    for o in outcomes:
        for (city, period, kind), g in frame.groupby(["city", "period", "kind"]):
            bad = [k for k in o.failures_by_key if k[:3] == (city, period, kind)] if o.outcome == "failed" else []
            failed = o.outcome == "error" or bool(bad)
            ratios = g["ratio"].dropna()
            observed = (f"ratio {ratios.min():.2f}..{ratios.max():.2f} over {len(ratios)} subject(s), "
                        f"allowed {g['min_ratio'].iloc[0]}..{g['max_ratio'].iloc[0]}" if len(ratios)
                        else "too few cases to judge")
            results.append(CheckResult(
                city=city, asset="plausibility", period=period, check_name=f"plausibility.{kind}.{o.check}",
                severity=o.severity, outcome="error" if o.outcome == "error" else "failed" if failed else "passed",
                failed_rows=sum(o.failures_by_key[k] for k in bad), observed=observed,
                details=o.details if failed else None,
                examples=[{"subject": k[3]} for k in bad[:5]]))
    return results
