"""Plain entry points: run the checks, write the record and the gate, return the results."""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

from ingest.schemas import COLUMNS, create_raw_tables
from quality import incremental, record
from quality.completeness import run_completeness
from quality.mart_sources import mart_source
from quality.marts import run_mart_suites
from quality.plausibility import run_plausibility
from quality.profile import run_profile
from quality.raw_suites import run_raw_suites
from quality.reconciliation import run_reconciliation
from quality.results import CheckResult
from warehouse.db import connect

RAW_KINDS = ("suites", "profile", "completeness", "reconciliation", "plausibility")
log = logging.getLogger(__name__)


def _scope(cities, kinds, tables) -> list[tuple[str | None, str]]:
    prefixes = []
    if "suites" in kinds:
        prefixes += [f"raw.{t}." for t in tables]
    if "profile" in kinds:
        prefixes += [f"profile.{t}." for t in tables] + ["profile.suite_could_not_run"]
    prefixes += [f"{k}." for k in ("completeness", "reconciliation", "plausibility") if k in kinds]
    return [(c, p) for c in (cities or [None]) for p in prefixes]


def run_raw_checks(
    warehouse: str | Path | None = None,
    cities: list[str] | None = None,
    *,
    kinds: tuple[str, ...] = RAW_KINDS,
    tables: list[str] | None = None,
    suite_dir: Path | None = None,
    run_id: str | None = None,
    full: bool = False,
    timings: dict[str, float] | None = None,
) -> list[CheckResult]:
    """Check the raw layer of `cities` (default all), record every result in
    meta.quality_results and replace the gate rows of what was checked in meta.quality_gate.

    Only what changed since its last check is checked again (quality.incremental: per city and
    table for suites and profile, per city for the other kinds); unchanged units keep their
    recorded results and gate rows and are not in the returned list. `full=True` checks all.
    `timings`, if given, receives the seconds of each step (plan, each kind, record) for the bench."""
    tables = list(tables or COLUMNS)
    unknown = set(kinds) - set(RAW_KINDS)
    if unknown:
        raise ValueError(f"unknown check kinds {sorted(unknown)}; known: {RAW_KINDS}")
    run_id = run_id or uuid.uuid4().hex
    con = connect(warehouse)
    try:
        timings = {} if timings is None else timings
        started = time.perf_counter()
        create_raw_tables(con)  # idempotent: an empty warehouse is checked, not crashed on
        plan = _plan(con, cities, kinds, tables, suite_dir, full)
        timings["plan"] = time.perf_counter() - started
        results: list[CheckResult] = []
        for kind in (k for k in RAW_KINDS if k in kinds):
            started = time.perf_counter()
            found = _run_kind(con, kind, plan.todo[kind], suite_dir)
            results += found
            timings[kind] = time.perf_counter() - started
            log.info(
                "%-15s %6d results, %d not passed, %.1f s%s",
                kind,
                len(found),
                sum(r.outcome != "passed" for r in found),
                timings[kind],
                f" ({plan.unchanged[kind]} unchanged, not checked again)" if plan.unchanged[kind] else "",
            )
        started = time.perf_counter()
        record.write(con, results, run_id=run_id, scope=plan.scope)
        incremental.save_state(con, plan.seen(results), run_id)
        timings["record"] = time.perf_counter() - started
    finally:
        con.close()
    return results


class _Plan:
    """Per kind: what to check (kind -> {table: cities} or [cities]), the gate scope to
    replace, and the fingerprints to remember once the checks are recorded."""

    def __init__(self):
        self.todo: dict[str, object] = {}
        self.unchanged: dict[str, int] = {}
        self.scope: list[tuple[str | None, str]] = []
        self.units: dict[tuple[str, str, str], str | None] = {}

    def seen(self, results: list[CheckResult]) -> dict[tuple[str, str, str], str | None]:
        """A unit whose check could not run is not remembered as seen: the next run retries."""
        untrusted = set()
        for r in results:
            if r.outcome != "error" or r.city is None:
                continue
            kind = _KIND_OF_SCOPE.get(r.check_name.split(".")[0])
            untrusted |= {
                u
                for u in self.units
                if u[0] == kind and u[1] == r.city and (u[2] in ("*", r.asset) or r.asset == "profile")
            }
        return {u: (None if u in untrusted else fp) for u, fp in self.units.items()}


_KIND_OF_SCOPE = {
    "raw": "suites",
    "profile": "profile",
    "completeness": "completeness",
    "reconciliation": "reconciliation",
    "plausibility": "plausibility",
}


def _plan(con, cities, kinds, tables, suite_dir, full: bool) -> _Plan:
    from ingest.config import load_cities

    plan = _Plan()
    per_table_only = all(k in incremental.PER_TABLE for k in kinds)
    data = incremental.data_fingerprints(con, tables if per_table_only else list(COLUMNS))
    setup = incremental.setup_fingerprint(suite_dir)
    stored = incremental.load_state(con)
    wanted = lambda c: cities is None or c in cities  # noqa: E731
    for kind in (k for k in RAW_KINDS if k in kinds):
        current = {u: fp for u, fp in incremental.unit_fingerprints(data, kind, setup).items() if wanted(u[0])}
        if kind in incremental.PER_TABLE:
            current = {u: fp for u, fp in current.items() if u[1] in tables}
        else:  # a configured city without any delivery is checked too (completeness says so)
            for c in load_cities():
                if wanted(c) and (c, "*") not in current:
                    current[(c, "*")] = incremental.unit_fingerprints({(c, "-"): "none"}, kind, setup)[(c, "*")]
        gone = {
            (c, a)
            for k, c, a in stored
            if k == kind and wanted(c) and (c, a) not in current and (a == "*" or a in tables)
        }
        todo = {u for u, fp in current.items() if full or stored.get((kind, *u)) != fp}
        plan.unchanged[kind] = len(current) - len(todo)
        plan.units.update({(kind, *u): current[u] for u in todo})
        plan.units.update({(kind, *u): None for u in gone})
        if full:  # the whole scope, as before incremental checks existed
            plan.todo[kind] = {t: cities for t in tables} if kind in incremental.PER_TABLE else cities
            plan.scope += _scope(cities, (kind,), tables)
            continue
        if kind in incremental.PER_TABLE:
            by_table: dict[str, list[str]] = {}
            for c, t in sorted(todo):
                by_table.setdefault(t, []).append(c)
            plan.todo[kind] = by_table
            prefix = "raw" if kind == "suites" else "profile"
            plan.scope += [(c, f"{prefix}.{t}.") for c, t in sorted(todo | gone)]
        else:
            plan.todo[kind] = sorted({c for c, _ in todo})
            plan.scope += [(c, f"{kind}.") for c in sorted({c for c, _ in todo | gone})]
    return plan


def _run_kind(con, kind: str, todo, suite_dir) -> list[CheckResult]:
    if kind in incremental.PER_TABLE:
        run = run_raw_suites if kind == "suites" else run_profile
        # Tables with the same cities to check go together: GX pays per validation, not per row.
        groups: dict[tuple | None, list[str]] = {}
        for table, cs in todo.items():
            groups.setdefault(None if cs is None else tuple(cs), []).append(table)
        return [
            r
            for cs, ts in groups.items()
            if cs != ()
            for r in run(con, None if cs is None else list(cs), ts, suite_dir)
        ]
    if todo is not None and not todo:
        return []
    return {"completeness": run_completeness, "reconciliation": run_reconciliation, "plausibility": run_plausibility}[
        kind
    ](con, todo, suite_dir)


def run_mart_checks(
    warehouse: str | Path | None = None,
    marts: list[str] | None = None,
    *,
    suite_dir: Path | None = None,
    run_id: str | None = None,
) -> list[CheckResult]:
    """Check the published marts (suites `quality/suites/mart_<model>.json`); a failed
    error-check blocks that city and period downstream (gate source = the mart's name).
    The marts are read on the engine the switch names (quality.mart_sources: DuckDB, or the
    Spark catalog); results and gate rows are written to DuckDB's meta schema on both."""
    con = connect(warehouse)
    try:
        with mart_source(con, warehouse) as source:
            results, names = run_mart_suites(con, marts, suite_dir, source)
        record.write(con, results, run_id=run_id or uuid.uuid4().hex, scope=[(None, f"mart.{m}.") for m in names])
    finally:
        con.close()
    return results
