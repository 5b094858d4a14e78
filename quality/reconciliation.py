"""Stock-flow reconciliation per city and quarter, total and by nationality group.

    expected(t) = stock(t-1) + inflows - outflows + births - deaths (+ net group changes)
    residual    = stock(t) - expected(t)

Flows are the events of the three monthly `meldewesen` files of the quarter (the register's
view: an event counts when it was recorded). Inflows/outflows are the event types of
`ingest.sources.EVENT_TYPES` (incl. status changes and ex-officio deregistrations); moves
inside the city cancel out.

Nationality changes (naturalisation, a second nationality) move people between groups with no
movement event. They are measured by following each person from stock(t-1) to stock(t)
(pseudonyms are stable within a city; this stays in the city layer, only counts leave this
module) and added as `group_change_net`. A person who arrives and changes nationality within
the same quarter is still missed, so group rows are warnings; the total is the error check.

A break beyond the tolerance is explained where a known cause exists:
- late registrations: the residual closes when events are counted by their event date
  instead of the day they were recorded;
- a correction delivery (`_v2`...) of a movement month or of the stock in the quarter;
- a district reform (codes starting or ending in the quarter; shifts districts, not totals).
An explained break is a warning; an unexplained one is an error and blocks the stock of t and
the movement months of the quarter. Missing movement months are reported, never excused.
"""

from __future__ import annotations

import csv
from collections import defaultdict

import pandas as pd

from ingest.config import NATIONALITIES_CSV, load_cities
from ingest.sources import EVENT_TYPES
from quality import gx_engine
from quality.results import CheckResult
from quality.suites import SuiteError, load_suite
from quality.tolerances import tolerances

INDEX = ["city", "quarter", "nationality_group"]
TOTAL = "INSGESAMT"


def _nationality_groups() -> pd.DataFrame:
    with NATIONALITIES_CSV.open(encoding="utf-8") as fh:
        rows = {(r["destatis_key"], r["group_de"]) for r in csv.DictReader(fh)}
    frame = pd.DataFrame(sorted(rows), columns=["nat_key", "group_de"])
    if not frame["nat_key"].is_unique:  # the group joins below rely on one group per key
        raise ValueError(f"{NATIONALITIES_CSV}: a nationality key with more than one group_de")
    return frame


# Nationality group of a row; a national with a second nationality counts as national. For all
# cities in one query: the national key and group come from the joined `_city_nat c` (one row
# per city), the group of a key from `_nat_groups n`, joined on the row's first nationality
# (keys are unique in the seed, so the join adds no rows).
GROUP_OF_ROW = """CASE WHEN {t}.staatsangehoerigkeit = c.national_key
                          OR {t}.staatsangehoerigkeit_2 = c.national_key THEN c.national_group
                       WHEN {t}.staatsangehoerigkeit = '000' THEN 'EU_SONST'
                       ELSE coalesce(n.group_de, 'DRITT_SONST') END"""
GROUP_JOINS = """JOIN _city_nat c ON c.city = {t}.city
                 LEFT JOIN _nat_groups n ON n.nat_key = {t}.staatsangehoerigkeit"""


def city_nationals(cities: list[str]) -> pd.DataFrame:
    """(city, national_key, national_group): Dutch cities count Dutch nationals (148) as `NL`,
    every other city Germans (000) as `DE` (also a city without a configuration)."""
    configured = load_cities()
    rows = [(c, "148", "NL") if c in configured and configured[c].country == "NL" else (c, "000", "DE") for c in cities]
    return pd.DataFrame(rows, columns=["city", "national_key", "national_group"], dtype="object")


def _quarter_end(d: str) -> str:
    return f"last_day(date_trunc('quarter', {d}) + INTERVAL 2 MONTH)"


def _kind_case() -> str:
    whens = " ".join(f"WHEN '{code}' THEN '{kind}'" for code, kind in EVENT_TYPES.items())
    return (
        f"CASE ereignis_art WHEN 'GEBURT' THEN 'births' WHEN 'TOD' THEN 'deaths' ELSE CASE ereignis_art {whens} END END"
    )


# Stock by quarter end and group, the consecutive quarter-end pairs (89-92 days apart; a missing
# stock date breaks the chain, it is not bridged) and the group changes of persons found in both
# stocks of a pair - for every city at once. Only persons whose group differs between any two of
# their stock rows can change group, so the self-join runs on those few, not on the whole stock.
# Dates travel as ISO strings: they key the sums below, and boxing thousands of pandas
# Timestamps cost more than the SQL.
_STOCK_SQL = f"""
    WITH s AS MATERIALIZED (
        SELECT b.city, b.stichtag, b.person_pseudonym, {GROUP_OF_ROW.format(t="b")} AS grp
        FROM raw.bestand b {GROUP_JOINS.format(t="b")}),
    pairs AS (
        SELECT * FROM (SELECT city, stichtag AS t,
                              lag(stichtag) OVER (PARTITION BY city ORDER BY stichtag) AS t_prev
                       FROM (SELECT DISTINCT city, stichtag FROM s WHERE stichtag IS NOT NULL))
        WHERE date_diff('day', t_prev, t) BETWEEN 89 AND 92),
    movers AS (SELECT city, person_pseudonym FROM s GROUP BY ALL HAVING min(grp) <> max(grp)),
    m AS (SELECT s.* FROM s JOIN movers USING (city, person_pseudonym))
    SELECT 'stock' AS part, city, CAST(stichtag AS VARCHAR) AS t, NULL AS t_prev, grp,
           NULL AS new_grp, count(*) AS n
    FROM s GROUP BY ALL
    UNION ALL
    SELECT 'pair', city, CAST(t AS VARCHAR), CAST(t_prev AS VARCHAR), NULL, NULL, 0 FROM pairs
    UNION ALL
    SELECT 'change', p.city, CAST(p.t AS VARCHAR), NULL, a.grp, b.grp, count(*)
    FROM pairs p JOIN m a ON a.city = p.city AND a.stichtag = p.t_prev
    JOIN m b ON b.city = p.city AND b.stichtag = p.t AND b.person_pseudonym = a.person_pseudonym
    WHERE a.grp <> b.grp GROUP BY ALL"""


def _flows_sql() -> str:
    kind = _kind_case()
    return f"""
        WITH f AS (SELECT t.city, t.delivery_period, t.ereignis_datum, t.ereignis_art,
                          {GROUP_OF_ROW.format(t="t")} AS grp
                   FROM raw.meldewesen t {GROUP_JOINS.format(t="t")})
        SELECT city, CAST({_quarter_end("CAST(delivery_period || '-01' AS DATE)")} AS VARCHAR) AS t, grp, {kind} AS kind,
               count(*) AS n_recorded, 0 AS n_event
        FROM f GROUP BY ALL
        UNION ALL
        SELECT city, CAST({_quarter_end("ereignis_datum")} AS VARCHAR) AS t, grp, {kind} AS kind, 0, count(*)
        FROM f GROUP BY ALL"""


def _by_city(frame: pd.DataFrame, columns: list[str]) -> dict[str, pd.DataFrame]:
    return {c: g[columns].reset_index(drop=True) for c, g in frame.groupby("city", sort=False)}


def _frames_by_city(con, cities: list[str]) -> dict[str, pd.DataFrame]:
    """The reconciliation rows of `cities` (each with a stock): five queries for all cities together."""
    parts = con.execute(_STOCK_SQL).df()
    pairs = _by_city(parts[parts["part"] == "pair"].sort_values(["city", "t"]), ["t", "t_prev"])
    stocks = _by_city(parts[parts["part"] == "stock"], ["t", "grp", "n"])
    changes = _by_city(
        parts[parts["part"] == "change"].rename(columns={"grp": "old_grp"}), ["t", "old_grp", "new_grp", "n"]
    )
    flows = _by_city(con.execute(_flows_sql()).df(), ["t", "grp", "kind", "n_recorded", "n_event"])
    recorded_q = _quarter_end("CAST(delivery_period || '-01' AS DATE)")
    months = _by_city(
        con.execute(f"""
        SELECT city, CAST({recorded_q} AS VARCHAR) AS t, count(DISTINCT delivery_period) AS months,
               max(delivery_version) AS max_version
        FROM raw.meldewesen WHERE city IN (SELECT city FROM _city_nat) GROUP BY ALL""").df(),
        ["t", "months", "max_version"],
    )
    stock_versions = _by_city(
        con.execute(
            "SELECT DISTINCT city, CAST(stichtag AS VARCHAR) AS t, delivery_version FROM raw.bestand "
            "WHERE city IN (SELECT city FROM _city_nat)"
        ).df(),
        ["t", "delivery_version"],
    )
    reforms = _by_city(
        con.execute(
            "SELECT city, CAST(gueltig_ab AS VARCHAR) AS gueltig_ab, CAST(gueltig_bis AS VARCHAR) AS gueltig_bis "
            "FROM raw.gebiete WHERE city IN (SELECT city FROM _city_nat)"
        ).df(),
        ["gueltig_ab", "gueltig_bis"],
    )
    empty = {
        "flows": pd.DataFrame(columns=["t", "grp", "kind", "n_recorded", "n_event"]),
        "changes": pd.DataFrame(columns=["t", "old_grp", "new_grp", "n"]),
        "months": pd.DataFrame(columns=["t", "months", "max_version"]),
        "stock_versions": pd.DataFrame(columns=["t", "delivery_version"]),
        "reforms": pd.DataFrame(columns=["gueltig_ab", "gueltig_bis"]),
    }
    out = {}
    for city in cities:
        if city not in stocks or city not in pairs:
            continue
        out[city] = _assemble(
            city,
            pairs[city],
            stocks[city],
            flows.get(city, empty["flows"]),
            changes.get(city, empty["changes"]),
            months.get(city, empty["months"]),
            stock_versions.get(city, empty["stock_versions"]),
            reforms.get(city, empty["reforms"]),
        )
    return out


def _sums(frame: pd.DataFrame, keys: list[str], value: str) -> dict[tuple, int]:
    """Sum of `value` by `keys` as a plain dict (the assembly loop below looks up thousands of
    cells; pandas filtering per cell was most of the reconciliation's time)."""
    out: dict[tuple, int] = defaultdict(int)
    if frame.empty:
        return out
    for *key, v in zip(*(frame[k] for k in keys), frame[value]):
        out[tuple(key)] += int(v)
    return out


def _assemble(city, pairs, stock, flows, changes, months, stock_versions, reforms) -> pd.DataFrame:
    tol = tolerances(city)["reconciliation"]
    groups = sorted(set(stock["grp"]) | set(flows["grp"]))
    stock_n = _sums(stock, ["t", "grp"], "n")
    stock_total = _sums(stock, ["t"], "n")
    recorded = _sums(flows, ["t", "grp", "kind"], "n_recorded")
    by_event = _sums(flows, ["t", "grp", "kind"], "n_event")
    recorded_total = _sums(flows, ["t", "kind"], "n_recorded")
    by_event_total = _sums(flows, ["t", "kind"], "n_event")
    changed_to = _sums(changes, ["t", "new_grp"], "n")
    changed_from = _sums(changes, ["t", "old_grp"], "n")
    month_info = {t: (int(n), int(v)) for t, n, v in zip(months["t"], months["months"], months["max_version"])}
    stock_version = _sums(
        stock_versions.groupby("t", as_index=False)["delivery_version"].max()
        if not stock_versions.empty
        else stock_versions,
        ["t"],
        "delivery_version",
    )
    reform_spans = list(zip(reforms["gueltig_ab"], reforms["gueltig_bis"]))
    rows = []
    for t, t_prev in zip(pairs["t"], pairs["t_prev"]):
        q = f"{t[:4]}-Q{(int(t[5:7]) - 1) // 3 + 1}"
        n_months, max_version = month_info.get(t, (0, 0))
        causes = []
        if max_version > 1:
            causes.append(f"correction delivery of movements (_v{max_version})")
        if stock_version.get((t,), 0) > 1:
            causes.append(f"correction delivery of the stock (_v{stock_version[(t,)]})")
        reform = any(
            (isinstance(ab, str) and t_prev < ab <= t) or (isinstance(bis, str) and t_prev <= bis < t)
            for ab, bis in reform_spans
        )
        for grp in [TOTAL, *groups]:
            if grp == TOTAL:
                s_prev, s_now = stock_total.get((t_prev,), 0), stock_total.get((t,), 0)
                rec = {k: recorded_total.get((t, k), 0) for k in ("inflow", "outflow", "births", "deaths")}
                evt = {k: by_event_total.get((t, k), 0) for k in ("inflow", "outflow", "births", "deaths")}
                net = 0
            else:
                s_prev, s_now = stock_n.get((t_prev, grp), 0), stock_n.get((t, grp), 0)
                rec = {k: recorded.get((t, grp, k), 0) for k in ("inflow", "outflow", "births", "deaths")}
                evt = {k: by_event.get((t, grp, k), 0) for k in ("inflow", "outflow", "births", "deaths")}
                net = changed_to.get((t, grp), 0) - changed_from.get((t, grp), 0)
            expected = s_prev + rec["inflow"] - rec["outflow"] + rec["births"] - rec["deaths"] + net
            expected_evt = s_prev + evt["inflow"] - evt["outflow"] + evt["births"] - evt["deaths"] + net
            residual, residual_evt = s_now - expected, s_now - expected_evt
            share_key, min_key = ("share", "min_abs") if grp == TOTAL else ("group_share", "group_min_abs")
            allowed = max(float(tol[share_key]) * s_now, float(tol[min_key]))
            known = list(causes)
            if abs(residual) > allowed and abs(residual_evt) <= allowed:
                known.insert(0, f"late registrations (residual by event date {residual_evt:+d})")
            if reform and abs(residual) > allowed:
                known.append("district reform in the quarter")
            excusable = [c for c in known if not c.startswith("district reform")]
            missing = 3 - n_months
            unexplained = (
                abs(residual) - allowed
                if (grp == TOTAL and abs(residual) > allowed and (not excusable or missing))
                else 0.0
            )
            rows.append(
                {
                    "city": city,
                    "quarter": q,
                    "nationality_group": grp,
                    "stichtag": t,
                    "stock_prev": s_prev,
                    "inflows": rec["inflow"],
                    "outflows": rec["outflow"],
                    "births": rec["births"],
                    "deaths": rec["deaths"],
                    "group_change_net": net,
                    "expected": expected,
                    "stock": s_now,
                    "residual": residual,
                    "residual_share": residual / s_now if s_now else None,
                    "abs_residual": abs(residual),
                    "allowed_residual": allowed,
                    "residual_by_event_date": residual_evt,
                    "movement_months": n_months,
                    "missing_movement_months": missing if grp == TOTAL else 0,
                    "known_cause": "; ".join(known) or None,
                    "unexplained_excess": unexplained,
                }
            )
    return pd.DataFrame(rows)


def reconciliation_frame(con, cities: list[str] | None = None) -> pd.DataFrame:
    found = [
        r[0]
        for r in con.execute("SELECT DISTINCT city FROM raw.bestand ORDER BY 1").fetchall()
        if cities is None or r[0] in cities
    ]
    if not found:
        return pd.DataFrame()
    con.register("_nat_groups", _nationality_groups())
    con.register("_city_nat", city_nationals(found))
    try:
        by_city = _frames_by_city(con, found)
    finally:
        con.unregister("_nat_groups")
        con.unregister("_city_nat")
    frames = [by_city[c] for c in found if c in by_city and not by_city[c].empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _months_of_quarter(q: str) -> list[str]:
    y, n = q.split("-Q")
    return [f"{y}-{m:02d}" for m in range(3 * int(n) - 2, 3 * int(n) + 1)]


def run_reconciliation(con, cities: list[str] | None = None, suite_dir=None) -> list[CheckResult]:
    frame = reconciliation_frame(con, cities)
    if frame.empty:
        return []
    blocks_of = {
        (r.city, r.quarter): [("bestand", "", r.stichtag)]
        + [("meldewesen", "", m) for m in _months_of_quarter(r.quarter)]
        for r in frame.itertuples()
    }
    try:
        suite = load_suite("reconciliation", suite_dir)
        outcomes = gx_engine.validate(suite, frame, {}, INDEX)
    except (SuiteError, ImportError) as exc:
        return [
            CheckResult(
                city=c,
                asset="reconciliation",
                period=q,
                check_name="reconciliation.suite_could_not_run",
                severity="error",
                outcome="error",
                details=f"{type(exc).__name__}: {exc}",
                blocks=b,
            )
            for (c, q), b in blocks_of.items()
        ]
    results = []
    rows = frame.to_dict("records")
    for o in outcomes:
        for row in rows:
            key = (row["city"], row["quarter"], row["nationality_group"])
            failed = o.outcome == "error" or (o.outcome == "failed" and (o.table_level or key in o.failures_by_key))
            if not failed and row["nationality_group"] != TOTAL and o.severity == "error":
                continue  # error checks look at totals only; keep the record short
            observed = (
                f"{row['nationality_group']}: stock {row['stock']} vs expected {row['expected']} "
                f"(prev {row['stock_prev']} +in {row['inflows']} -out {row['outflows']} "
                f"+births {row['births']} -deaths {row['deaths']} {row['group_change_net']:+d} group changes); "
                f"residual {row['residual']:+d} allowed ±{row['allowed_residual']:.0f}"
            )
            details = None
            if failed:
                details = o.details
                if row["missing_movement_months"]:
                    details += f"; {row['missing_movement_months']} movement month(s) missing"
                if row["known_cause"]:
                    details += f"; known cause: {row['known_cause']}"
            results.append(
                CheckResult(
                    city=row["city"],
                    asset="reconciliation",
                    period=row["quarter"],
                    check_name=f"reconciliation.{o.check}"
                    + ("" if row["nationality_group"] == TOTAL else f".{row['nationality_group']}"),
                    severity=o.severity,
                    outcome="error" if o.outcome == "error" else "failed" if failed else "passed",
                    failed_rows=abs(int(row["residual"])) if failed else 0,
                    observed=observed,
                    details=details,
                    blocks=blocks_of[(row["city"], row["quarter"])],
                )
            )
    return results
