"""Runs the raw-table suites (`quality/suites/raw_<table>.json`): one GX validation per city
and table over all current deliveries, failures attributed to the delivery period."""
from __future__ import annotations

import re
from collections import defaultdict

from ingest.config import iso3_codes, load_cities, nationality_keys
from ingest.schemas import (AREA_LEVELS, CLASS_TYPES, COUNSELLING_SERVICES, EVENT_TYPES,
                            HOUSING_STATUS, SCHOOL_FORMS_DE, SCHOOL_FORMS_NL, SEXES, SGB2_GROUPS,
                            STATED_REGISTRATION)
from quality import gx_engine
from quality.raw_frames import RAW_FRAME_SQL, RAW_INDEX_COLUMNS
from quality.results import SOURCE_FORM_OF_TABLE, CheckResult
from quality.suites import SuiteError, load_suite

MIN_BIRTH_YEAR = 1890


def expectation_params(city: str) -> dict:
    """Code lists the suites refer to as {"$PARAMETER": ...}; one source of truth: ingest."""
    cfg = load_cities().get(city)
    country = cfg.country if cfg else "DE"
    return {
        "nationality_keys": sorted(nationality_keys()), "iso3_codes": sorted(iso3_codes()),
        "event_types": sorted(EVENT_TYPES), "sexes": sorted(SEXES), "sgb2_groups": sorted(SGB2_GROUPS),
        "school_forms": sorted(SCHOOL_FORMS_NL if country == "NL" else SCHOOL_FORMS_DE),
        "class_types": sorted(CLASS_TYPES), "services": sorted(COUNSELLING_SERVICES),
        "stated_registration": sorted(STATED_REGISTRATION), "housing_status": sorted(HOUSING_STATUS),
        "area_levels": sorted(AREA_LEVELS), "min_birth_year": MIN_BIRTH_YEAR,
    }


def _sql_params(sql: str, city: str) -> dict:
    cfg = load_cities().get(city)
    available = {"city": city, "nationality_keys": sorted(nationality_keys()),
                 "snapshot_tolerance_days": (cfg.snapshot_tolerance_days.get("schule", 0) if cfg else 0)}
    used = set(re.findall(r"\$([a-z_]+)", sql))
    return {k: v for k, v in available.items() if k in used}


def cities_with_rows(con, table: str, cities: list[str] | None) -> list[str]:
    found = [r[0] for r in con.execute(f"SELECT DISTINCT city FROM raw.{table} ORDER BY 1").fetchall()]
    return [c for c in found if cities is None or c in cities]


def check_table(con, table: str, city: str, suite_dir=None) -> list[CheckResult]:
    """All results of one raw table's suite for one city (one row per check and period)."""
    source, form = SOURCE_FORM_OF_TABLE[table]
    periods = [r[0] for r in con.execute(
        f"SELECT DISTINCT delivery_period FROM raw.{table} WHERE city = ? ORDER BY 1", [city]).fetchall()]
    if not periods:
        return []
    try:
        suite = load_suite(f"raw_{table}", suite_dir)
        sql = RAW_FRAME_SQL[table]
        frame = con.execute(sql, _sql_params(sql, city)).df()
        outcomes = gx_engine.validate(suite, frame, expectation_params(city), RAW_INDEX_COLUMNS)
    except (SuiteError, ImportError) as exc:
        return [_could_not_run(table, city, periods, source, form, exc)]
    results = []
    for o in outcomes:
        check_name = f"raw.{table}.{o.check}"
        per_period: dict[str, int] = defaultdict(int)
        for key, n in o.failures_by_key.items():
            per_period[key[0]] += n
        for period in periods:
            if o.outcome == "passed" or (o.table_level and o.outcome != "passed"):
                outcome, failed = o.outcome, (o.failed_rows if o.outcome != "passed" else 0)
            else:
                outcome = "failed" if per_period.get(period) else "passed"
                failed = per_period.get(period, 0)
            examples = [e for e in o.examples if e.get("delivery_period") == period] if outcome != "passed" else []
            results.append(CheckResult(
                city=city, asset=table, period=period, check_name=check_name, severity=o.severity,
                outcome=outcome, failed_rows=failed,
                observed=(f"{failed} rows unexpected" if failed else o.observed if outcome != "passed" else None),
                details=o.details if outcome != "passed" else None, examples=examples,
                blocks=[(source, form, period)]))
    return results


def _could_not_run(table, city, periods, source, form, exc) -> CheckResult:
    """A suite that cannot run fails closed: it blocks every period it should have guarded."""
    return CheckResult(city=city, asset=table, period=None, check_name=f"raw.{table}.suite_could_not_run",
                       severity="error", outcome="error", details=f"{type(exc).__name__}: {exc}",
                       blocks=[(source, form, p) for p in periods])


def run_raw_suites(con, cities: list[str] | None = None, tables: list[str] | None = None,
                   suite_dir=None) -> list[CheckResult]:
    results: list[CheckResult] = []
    for table in tables or list(RAW_FRAME_SQL):
        for city in cities_with_rows(con, table, cities):
            results += check_table(con, table, city, suite_dir)
    return results
