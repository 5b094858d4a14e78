"""Is the warehouse's dbt layer built from what is loaded now? Read from `meta.dbt_builds`,
which every `dbt build` / `dbt run` writes (dbt_project/macros/build_state.sql): 'running'
from its start, 'complete' or 'failed' at its end, with the data version it started from."""

from __future__ import annotations

import duckdb


def stale_build_problem(con, data_version: str | None, catalog: str = "publish_source") -> str | None:
    """Why the built tables must not be published now (None: they are current, or no build was
    ever recorded - a warehouse assembled without dbt, as in unit tests)."""
    try:
        row = con.execute(
            f"select invocation_id, status, data_version, started_at, loaded_files from {catalog}.meta.dbt_builds "
            "order by started_at desc limit 1"
        ).fetchone()
    except duckdb.CatalogException:
        return None
    if row is None:
        return None
    invocation, status, built_from, started, files = row
    if status == "running":
        return (
            f"the last dbt build (started {started:%Y-%m-%d %H:%M:%S}) did not finish - killed or still running: "
            "its tables are partly old, partly new; run dbt build again before publishing"
        )
    if status != "complete":
        return f"the last dbt build (started {started:%Y-%m-%d %H:%M:%S}) {status}: fix it and build again before publishing"
    if built_from != data_version:
        return (
            f"deliveries changed since the last dbt build (built from {files} loaded files): "
            "run dbt build before publishing, or the copy would show old tables under the new data version"
        )
    return None
