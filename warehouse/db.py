"""The one way to open DuckDB: `connect()` applies the project's settings to every connection.

The memory limit, the threads and the spill folder come from `warehouse.settings` (dbt gets the
same through its profile), and DuckDB's progress bar is off because it would print into our
logs. The settings are applied with SET after opening, not as connect-time config: DuckDB
refuses a second connection to an open file with a different config, while SET works on any.

DuckDB admits one writer process: open a connection for one step and close it (use `with`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse import settings

MEMORY = ":memory:"


def connect(
    path: str | Path | None = None,
    read_only: bool = False,
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """A connection to `path` (default: the warehouse, `settings.warehouse_path()`; ":memory:"
    for an in-memory database) with the memory limit, threads and spill folder of the settings
    (or the ones given) and without progress bar."""
    database = str(settings.warehouse_path() if path is None else path)
    con = duckdb.connect(database, read_only=read_only)
    try:
        try:
            con.execute("SET enable_progress_bar = false")
        except duckdb.InvalidInputException:
            pass  # inside a Jupyter kernel (the report's notebook) DuckDB cannot switch it without ipywidgets
        con.execute("SET memory_limit = ?", [memory_limit or settings.duckdb_memory_limit()])
        con.execute("SET threads = ?", [threads or settings.duckdb_threads()])
        spill = Path(temp_directory) if temp_directory else settings.duckdb_temp_directory(database)
        if spill is not None:
            current = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
            # DuckDB refuses to move a spill folder it has used; its own default is left alone.
            if not current or Path(current).resolve() != spill.resolve():
                con.execute("SET temp_directory = ?", [str(spill)])
    except BaseException:
        con.close()
        raise
    return con
