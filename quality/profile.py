"""Period profile of the raw layer: rows per (city, table, period) against the previous period
of the same city, and the share of suppressed cells of the tables with suppressed counts (SGB II
aggregates, see `ingest.sources`). Validated by `suites/raw_profile.json`."""

from __future__ import annotations

import pandas as pd

from ingest import sources
from ingest.schemas import COLUMNS
from quality import gx_engine
from quality.results import SOURCE_FORM_OF_TABLE, CheckResult
from quality.suites import SuiteError, load_suite
from quality.tolerances import row_count_band, tolerances

INDEX = ["city", "asset", "period"]


def _suppressed_share(table: str) -> str:
    """SQL: the share of a row's counts that are suppressed, averaged per period (NULL: none to suppress)."""
    counts = sources.table(table).suppressed_counts
    if not counts:
        return "CAST(NULL AS DOUBLE)"
    flags = " + ".join(f"CAST({c}_gesperrt AS INT)" for c in counts)
    return f"avg(coalesce(({flags}) / {len(counts)}.0, 0))"


def profile_frame(con, cities: list[str] | None, tables: list[str] | None = None) -> pd.DataFrame:
    parts = []
    for table in tables or list(COLUMNS):
        parts.append(
            f"SELECT city, '{table}' AS asset, delivery_period AS period, count(*) AS row_count, "
            f"{_suppressed_share(table)} AS suppressed_share FROM raw.{table} GROUP BY ALL"
        )
    sql = f"""
        WITH p AS ({" UNION ALL ".join(parts)})
        SELECT *, lag(row_count) OVER (PARTITION BY city, asset ORDER BY period) AS prev_row_count
        FROM p ORDER BY city, asset, period"""
    frame = con.execute(sql).df()
    if cities is not None:
        frame = frame[frame["city"].isin(cities)].reset_index(drop=True)
    frame["row_count"] = frame["row_count"].astype("int64")
    frame["prev_row_count"] = frame["prev_row_count"].astype("float64")
    frame["suppressed_share"] = frame["suppressed_share"].astype("float64")
    frame["change_ratio"] = frame["row_count"] / frame["prev_row_count"]
    # Small deliveries swing by chance (a counselling file of 8 rows after one of 3): no verdict.
    basis = frame[["row_count", "prev_row_count"]].max(axis=1)
    min_basis = [float(tolerances(c)["row_count_min_basis"]) for c in frame["city"]]
    frame.loc[basis < min_basis, "change_ratio"] = float("nan")
    for level in ("error", "warning"):
        bands = [row_count_band(c, a, level) for c, a in zip(frame["city"], frame["asset"])]
        frame[f"{level}_min_ratio"] = [b[0] for b in bands]
        frame[f"{level}_max_ratio"] = [b[1] for b in bands]
    frame["max_suppressed_share"] = [float(tolerances(c)["suppressed_share_max"]) for c in frame["city"]]
    return frame


def run_profile(
    con, cities: list[str] | None = None, tables: list[str] | None = None, suite_dir=None
) -> list[CheckResult]:
    frame = profile_frame(con, cities, tables)
    if frame.empty:
        return []
    try:
        suite = load_suite("raw_profile", suite_dir)
        outcomes = gx_engine.validate(suite, frame, {}, INDEX)
    except (SuiteError, ImportError) as exc:
        return [
            CheckResult(
                city=c,
                asset="profile",
                period=None,
                check_name="profile.suite_could_not_run",
                severity="error",
                outcome="error",
                details=f"{type(exc).__name__}: {exc}",
                blocks=[(*SOURCE_FORM_OF_TABLE[a], p) for a, p in zip(g["asset"], g["period"])],
            )
            for c, g in frame.groupby("city")
        ]
    results = []
    rows = frame.to_dict("records")
    for o in outcomes:
        failing = {k for k in o.failures_by_key} if o.outcome == "failed" else set()
        for row in rows:
            key = (row["city"], row["asset"], row["period"])
            failed = o.outcome == "error" or (o.outcome == "failed" and (o.table_level or key in failing))
            observed = f"rows {row['row_count']}"
            if row["prev_row_count"] == row["prev_row_count"]:  # not NaN
                observed += f" vs previous {int(row['prev_row_count'])}"
                if row["change_ratio"] == row["change_ratio"]:
                    observed += f" (ratio {row['change_ratio']:.2f})"
            if sources.table(row["asset"]).suppressed_counts:
                observed += f"; suppressed share {row['suppressed_share']:.2f}"
            results.append(
                CheckResult(
                    city=row["city"],
                    asset=row["asset"],
                    period=row["period"],
                    check_name=f"profile.{row['asset']}.{o.check}",
                    severity=o.severity,
                    outcome=("error" if o.outcome == "error" else "failed" if failed else "passed"),
                    failed_rows=None,
                    observed=observed,
                    details=o.details if failed else None,
                    blocks=[(*SOURCE_FORM_OF_TABLE[row["asset"]], row["period"])],
                )
            )
    return results
