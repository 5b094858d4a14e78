"""Plain entry points: run the checks, write the record and the gate, return the results."""
from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

import duckdb

from ingest.config import warehouse_path
from ingest.schemas import COLUMNS, create_raw_tables
from quality import record
from quality.completeness import run_completeness
from quality.marts import run_mart_suites
from quality.plausibility import run_plausibility
from quality.profile import run_profile
from quality.raw_suites import run_raw_suites
from quality.reconciliation import run_reconciliation
from quality.results import CheckResult

RAW_KINDS = ("suites", "profile", "completeness", "reconciliation", "plausibility")
log = logging.getLogger(__name__)


def connect(warehouse: str | Path | None = None, read_only: bool = False):
    """A warehouse connection without DuckDB's progress bar (it would print into our output)."""
    con = duckdb.connect(str(warehouse or warehouse_path()), read_only=read_only)
    con.execute("SET enable_progress_bar = false")
    return con


def _scope(cities, kinds, tables) -> list[tuple[str | None, str]]:
    prefixes = []
    if "suites" in kinds:
        prefixes += [f"raw.{t}." for t in tables]
    if "profile" in kinds:
        prefixes += [f"profile.{t}." for t in tables] + ["profile.suite_could_not_run"]
    prefixes += [f"{k}." for k in ("completeness", "reconciliation", "plausibility") if k in kinds]
    return [(c, p) for c in (cities or [None]) for p in prefixes]


def run_raw_checks(warehouse: str | Path | None = None, cities: list[str] | None = None, *,
                   kinds: tuple[str, ...] = RAW_KINDS, tables: list[str] | None = None,
                   suite_dir: Path | None = None, run_id: str | None = None) -> list[CheckResult]:
    """Check the raw layer (all current deliveries of `cities`, default all), record every
    result in meta.quality_results and replace the gate rows of this scope in meta.quality_gate."""
    tables = list(tables or COLUMNS)
    unknown = set(kinds) - set(RAW_KINDS)
    if unknown:
        raise ValueError(f"unknown check kinds {sorted(unknown)}; known: {RAW_KINDS}")
    con = connect(warehouse)
    try:
        create_raw_tables(con)   # idempotent: an empty warehouse is checked, not crashed on
        steps = {"suites": lambda: run_raw_suites(con, cities, tables, suite_dir),
                 "profile": lambda: run_profile(con, cities, tables, suite_dir),
                 "completeness": lambda: run_completeness(con, cities, suite_dir),
                 "reconciliation": lambda: run_reconciliation(con, cities, suite_dir),
                 "plausibility": lambda: run_plausibility(con, cities, suite_dir)}
        results: list[CheckResult] = []
        for kind in (k for k in RAW_KINDS if k in kinds):
            started = time.perf_counter()
            found = steps[kind]()
            results += found
            log.info("%-15s %6d results, %d not passed, %.1f s", kind, len(found),
                     sum(r.outcome != "passed" for r in found), time.perf_counter() - started)
        record.write(con, results, run_id=run_id or uuid.uuid4().hex, scope=_scope(cities, kinds, tables))
    finally:
        con.close()
    return results


def run_mart_checks(warehouse: str | Path | None = None, marts: list[str] | None = None, *,
                    suite_dir: Path | None = None, run_id: str | None = None) -> list[CheckResult]:
    """Check the published marts (suites `quality/suites/mart_<model>.json`); a failed
    error-check blocks that city and period downstream (gate source = the mart's name)."""
    con = connect(warehouse)
    try:
        results, names = run_mart_suites(con, marts, suite_dir)
        record.write(con, results, run_id=run_id or uuid.uuid4().hex,
                     scope=[(None, f"mart.{m}.") for m in names])
    finally:
        con.close()
    return results
