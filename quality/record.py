"""Writes the quality record (`meta.quality_results`) and the gate (`meta.quality_gate`).

Both tables are defined in `ingest/schemas.py`. Each run replaces the gate rows of exactly the
scope it checked (cities x check-name prefixes) in one transaction, so that a corrected `_v2`
delivery lifts its block on the next run and a run that dies half-way changes nothing. The
decisions of meta.gate_decisions (release, reject: quality.decisions) are applied in the same
transaction, so a check run never undoes a release nor lifts a rejection.
"""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl

from ingest.schemas import create_meta_tables
from quality.results import CheckResult

RESULT_COLUMNS = [
    "run_id",
    "checked_at",
    "city",
    "asset",
    "period",
    "check_name",
    "severity",
    "outcome",
    "failed_rows",
    "observed",
    "details",
]


def _results_frame(results: list[CheckResult], run_id: str, checked_at: datetime) -> pl.DataFrame:
    rows = []
    for r in results:
        details = r.details or ""
        if r.examples:
            details = (details + " | examples: " + json.dumps(r.examples, ensure_ascii=False, default=str))[:4000]
        rows.append(
            (
                run_id,
                checked_at,
                r.city,
                r.asset,
                r.period,
                r.check_name,
                r.severity,
                r.outcome,
                r.failed_rows,
                r.observed,
                details or None,
            )
        )
    schema = {
        "run_id": pl.String,
        "checked_at": pl.Datetime("us"),
        "city": pl.String,
        "asset": pl.String,
        "period": pl.String,
        "check_name": pl.String,
        "severity": pl.String,
        "outcome": pl.String,
        "failed_rows": pl.Int64,
        "observed": pl.String,
        "details": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _gate_frame(results: list[CheckResult], blocked_at: datetime) -> pl.DataFrame:
    rows = {}
    for r in results:
        if not r.blocking:
            continue
        reason = f"{r.check_name} {r.outcome}: {r.details or ''}".strip()
        if r.observed:
            reason += f" ({r.observed})"
        for source, form, period in r.blocks:
            rows.setdefault((r.city, source, form, period, r.check_name), reason[:1000])
    data = [(*k, reason, blocked_at) for k, reason in rows.items()]
    schema = {
        "city": pl.String,
        "source": pl.String,
        "form": pl.String,
        "period": pl.String,
        "check_name": pl.String,
        "reason": pl.String,
        "blocked_at": pl.Datetime("us"),
    }
    return pl.DataFrame(data, schema=schema, orient="row")


def write(
    con,
    results: list[CheckResult],
    *,
    run_id: str,
    scope: list[tuple[str | None, str]],
    checked_at: datetime | None = None,
) -> None:
    """Record every result and replace the gate rows of `scope` = [(city or None, check prefix)]."""
    checked_at = checked_at or datetime.now()
    create_meta_tables(con)
    results_df = _results_frame(results, run_id, checked_at)
    gate_df = _gate_frame(results, checked_at)
    con.execute("BEGIN TRANSACTION")
    try:
        if scope:  # one statement for the whole scope (a statement per entry cost 1-2 ms each)
            con.register(
                "_gate_scope",
                pl.DataFrame(scope, schema={"city": pl.String, "prefix": pl.String}, orient="row").to_arrow(),
            )
            con.execute(
                "DELETE FROM meta.quality_gate g WHERE EXISTS (SELECT 1 FROM _gate_scope s "
                "WHERE (s.city IS NULL OR g.city = s.city) AND starts_with(g.check_name, s.prefix))"
            )
            con.unregister("_gate_scope")
        if gate_df.height:
            con.register("_gate_rows", gate_df.to_arrow())
            con.execute(
                "INSERT INTO meta.quality_gate (city, source, form, period, check_name, reason, "
                "blocked_at) SELECT * FROM _gate_rows"
            )
            con.unregister("_gate_rows")
        # released city-periods stay released, rejected ones blocked (quality.decisions)
        from quality import decisions

        decisions.apply(con)
        if results_df.height:
            con.register("_result_rows", results_df.to_arrow())
            con.execute(f"INSERT INTO meta.quality_results ({', '.join(RESULT_COLUMNS)}) SELECT * FROM _result_rows")
            con.unregister("_result_rows")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
