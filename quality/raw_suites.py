"""Runs the raw-table suites (`quality/suites/raw_<table>.json`): one GX validation per table
over all current deliveries of the cities checked, failures attributed to city and delivery period.

The frame is built in DuckDB and narrowed there to the rows some expectation could fail on
(`quality.prefilter`; duplicate keys are looked for on the raw table itself, and the rows kept
are ordered by city, period, file and line so that examples are the first failing lines); GX
evaluates the whole suite on that compact frame."""

from __future__ import annotations

import re
from collections import defaultdict

from ingest import sources
from ingest.config import load_cities, nationality_keys
from quality import gx_engine, prefilter
from quality.raw_frames import RAW_FRAME_SQL, RAW_INDEX_COLUMNS, per_city_case
from quality.results import SOURCE_FORM_OF_TABLE, CheckResult
from quality.suites import SuiteError, load_suite

MIN_BIRTH_YEAR = 1890
# The rows of every frame in quality.raw_frames, without its derived columns: duplicate keys
# (city, date, pseudonym, ...) are found on the raw table itself, not on a second frame.
KEY_RELATION_SQL = "SELECT * FROM raw.{table} t WHERE list_contains($cities, t.city)"


def expectation_params() -> dict:
    """Code lists the suites refer to as {"$PARAMETER": ...}; one source of truth: the source
    registry (`ingest.sources`), which ingest checks deliveries against. Lists that differ by
    country are checked through a helper column of the frame instead."""
    lists = {name: sorted(c.values()) for name, c in sources.code_lists().items() if c.by_country is None}
    return {**lists, "min_birth_year": MIN_BIRTH_YEAR}


def frame_sql(table: str) -> str:
    """The table's frame SQL with the per-city settings filled in from the city configs."""
    cities = load_cities()
    return (
        RAW_FRAME_SQL[table]
        .replace(
            "{school_tolerance_days}",
            per_city_case({c: cfg.snapshot_tolerance_days.get("schule", 0) for c, cfg in cities.items()}, 0),
        )
        .replace("{country}", per_city_case({c: cfg.country for c, cfg in cities.items()}, "DE"))
    )


def _sql_params(sql: str, cities: list[str]) -> dict:
    available = {"cities": cities, "nationality_keys": sorted(nationality_keys())}
    used = set(re.findall(r"\$([a-z_]+)", sql))
    return {k: v for k, v in available.items() if k in used}


def cities_with_rows(con, table: str, cities: list[str] | None) -> list[str]:
    found = [r[0] for r in con.execute(f"SELECT DISTINCT city FROM raw.{table} ORDER BY 1").fetchall()]
    return [c for c in found if cities is None or c in cities]


def check_table(con, table: str, cities: list[str], suite_dir=None) -> list[CheckResult]:
    """All results of one raw table's suite for `cities` (one row per city, check and period)."""
    source, form = SOURCE_FORM_OF_TABLE[table]
    counted = con.execute(
        f"SELECT city, delivery_period, count(*) FROM raw.{table} "
        "WHERE list_contains($cities, city) GROUP BY ALL ORDER BY 1, 2",
        {"cities": cities},
    ).fetchall()
    keys = [(c, p) for c, p, _ in counted]
    if not keys:
        return []
    try:
        suite = load_suite(sources.table(table).suite, suite_dir)
        sql = frame_sql(table)
        params = expectation_params()
        frame, _ = prefilter.suspect_frame(
            con,
            sql,
            _sql_params(sql, cities),
            suite.expectations,
            params,
            key_relation_sql=KEY_RELATION_SQL.format(table=table),
            order_by=RAW_INDEX_COLUMNS,
        )
        outcomes = gx_engine.validate(suite, frame, params, RAW_INDEX_COLUMNS, total_rows=sum(n for _, _, n in counted))
    except (SuiteError, ImportError) as exc:
        return [
            _could_not_run(table, city, [p for c, p in keys if c == city], source, form, exc)
            for city in sorted({c for c, _ in keys})
        ]
    results = []
    for o in outcomes:
        check_name = f"raw.{table}.{o.check}"
        if o.outcome == "passed":  # most checks: one plain row per delivery, nothing to look up
            results += [
                CheckResult(city, table, period, check_name, o.severity, "passed", 0, blocks=[(source, form, period)])
                for city, period in keys
            ]
            continue
        failing: dict[tuple[str, str], int] = defaultdict(int)
        for key, n in o.failures_by_key.items():
            failing[key[:2]] += n
        for city, period in keys:
            if o.outcome == "error" or (o.outcome == "failed" and o.table_level):
                outcome, failed = o.outcome, o.failed_rows
            elif o.outcome == "failed" and failing.get((city, period)):
                outcome, failed = "failed", failing[(city, period)]
            else:
                outcome, failed = "passed", 0
            examples = (
                [e for e in o.examples if (e.get("city"), e.get("delivery_period")) == (city, period)]
                if outcome != "passed"
                else []
            )
            results.append(
                CheckResult(
                    city=city,
                    asset=table,
                    period=period,
                    check_name=check_name,
                    severity=o.severity,
                    outcome=outcome,
                    failed_rows=failed,
                    observed=(f"{failed} rows unexpected" if failed else o.observed if outcome != "passed" else None),
                    details=o.details if outcome != "passed" else None,
                    examples=examples,
                    blocks=[(source, form, period)],
                )
            )
    return results


def _could_not_run(table, city, periods, source, form, exc) -> CheckResult:
    """A suite that cannot run fails closed: it blocks every period it should have guarded."""
    return CheckResult(
        city=city,
        asset=table,
        period=None,
        check_name=f"raw.{table}.suite_could_not_run",
        severity="error",
        outcome="error",
        details=f"{type(exc).__name__}: {exc}",
        blocks=[(source, form, p) for p in periods],
    )


def run_raw_suites(
    con, cities: list[str] | None = None, tables: list[str] | None = None, suite_dir=None
) -> list[CheckResult]:
    results: list[CheckResult] = []
    for table in tables or list(RAW_FRAME_SQL):
        found = cities_with_rows(con, table, cities)
        if found:
            results += check_table(con, table, found, suite_dir)
    return results
