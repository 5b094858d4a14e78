"""The raw layer for Spark: every table dbt reads as a source, written from the DuckDB warehouse
to Parquet in the Spark warehouse folder (`<spark dir>/raw/<schema>/<table>/`).

DuckDB stays the loader (ingest writes raw.*, raw_official.*, meta.* with their provenance
columns and registry rules); the export copies the tables as they are, column for column, so
the Spark side sees the same rows, names and provenance. The dbt on-run-start hook
`spark_register_raw` (dbt_project/macros/spark_raw.sql) registers each folder as an external
table of the source's schema and name, so `source('raw', 'meldewesen')` is `raw.meldewesen` on
both engines. Which tables were written is `<spark dir>/raw/tables.txt` (schema.table a line),
which orchestration.dbt_project hands to the hook (SPARK_RAW_TABLES).

The export runs before every dbt invocation on Spark (orchestration.dbt_project): it is a copy of
a few million narrow rows (seconds), and Spark never reads a raw layer older than DuckDB's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from warehouse import engine
from warehouse.db import connect
from warehouse.settings import DBT_PROJECT_DIR

TABLE_LIST = "tables.txt"


# What DuckDB loads (ingest, the official tables, the registry and the gate). A source in another
# schema is written on the engine itself (the Dunkelziffer estimates, estimation.in_engine): a copy
# from DuckDB registered under its name would stand in for the engine's own table.
RAW_SCHEMAS = ("raw", "raw_official", "meta")


def source_tables(project_dir: Path = DBT_PROJECT_DIR) -> list[tuple[str, str]]:
    """(schema, table) of every dbt source of the raw layer (the models' *sources.yml files)."""
    tables: set[tuple[str, str]] = set()
    for path in sorted((project_dir / "models").rglob("*.yml")):
        doc = yaml.safe_load(path.read_text()) or {}
        for source in doc.get("sources") or []:
            schema = source.get("schema") or source["name"]
            if schema not in RAW_SCHEMAS:
                continue
            for table in source.get("tables") or []:
                tables.add((schema, table.get("identifier") or table["name"]))
    return sorted(tables)


def export_raw(
    database: str | Path | None = None, spark_dir: str | Path | None = None, *, log=print
) -> list[tuple[str, str, int]]:
    """Write every source table of the DuckDB warehouse `database` as Parquet below
    `<spark_dir>/raw` (default: the warehouse's Spark folder). Tables the warehouse does not hold
    (yet) are left out and not registered. Returns (schema, table, rows) of the written tables.

    A table's folder is written beside the old one and swapped in, so a reader never sees half a
    table; folders of tables no longer exported are removed."""
    raw = Path(spark_dir) / "raw" if spark_dir else engine.spark_raw_dir(database)
    raw.mkdir(parents=True, exist_ok=True)
    wanted = source_tables()
    written: list[tuple[str, str, int]] = []
    with connect(database, read_only=True) as con:
        present = set(
            con.execute(
                "select table_schema, table_name from information_schema.tables where table_catalog = current_database()"
            ).fetchall()
        )
        for schema, table in wanted:
            if (schema, table) not in present:
                log(f"spark raw: {schema}.{table} not in the warehouse, not exported")
                continue
            final = raw / schema / table
            fresh = raw / schema / f".{table}.new"
            shutil.rmtree(fresh, ignore_errors=True)
            fresh.mkdir(parents=True)
            con.execute(f'copy (select * from "{schema}"."{table}") to \'{fresh / "part-0.parquet"}\' (format parquet)')
            rows = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            shutil.rmtree(final, ignore_errors=True)
            fresh.rename(final)
            written.append((schema, table, rows))
    kept = {f"{s}.{t}" for s, t, _ in written}
    for folder in sorted(p for p in raw.glob("*/*") if p.is_dir() and not p.name.startswith(".")):
        if f"{folder.parent.name}.{folder.name}" not in kept:
            shutil.rmtree(folder)
    (raw / TABLE_LIST).write_text("".join(f"{name}\n" for name in sorted(kept)))
    return written


def exported_tables(database: str | Path | None = None, spark_dir: str | Path | None = None) -> list[str]:
    """schema.table of the tables the last export wrote (empty before the first)."""
    raw = Path(spark_dir) / "raw" if spark_dir else engine.spark_raw_dir(database)
    listing = raw / TABLE_LIST
    return listing.read_text().split() if listing.exists() else []
