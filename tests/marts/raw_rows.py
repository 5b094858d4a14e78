"""Hand-made raw rows for the marts tests: insert records into the raw layer with provenance.

Keeps the marts tests independent of the ingest code: the raw-layer contract
(ingest.schemas) is all they rely on.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from ingest.schemas import RAW_SCHEMA, create_raw_tables, table_schema

STANDARD_SOURCES = {  # raw table -> (source folder, file-name suffix)
    "meldewesen": ("meldewesen", ""),
    "bestand": ("bestand", ""),
    "schule": ("schule", ""),
    "sgb2_aggregat": ("sgb2", ""),
    "sgb2_personen": ("sgb2", "_personen"),
    "beratung": ("beratung", ""),
    "wohnen_problemimmobilien": ("wohnen", "_problemimmobilien"),
    "wohnen_wohnungsbestand": ("wohnen", "_wohnungsbestand"),
    "gebiete": ("gebiete", ""),
}


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, city: str, rows: list[dict], period: str = "current", version: int = 1
) -> None:
    """Insert domain rows (missing columns NULL) with provenance for one delivery."""
    schema = table_schema(table)
    now = dt.datetime(2026, 1, 1)
    folder, suffix = STANDARD_SOURCES[table]
    vsuffix = f"_v{version}" if version > 1 else ""
    prov = {
        "city": city,
        "delivery_file": f"{city}/{folder}/{period}{suffix}{vsuffix}.csv",
        "file_sha256": "0" * 64,
        "delivery_period": period,
        "delivery_version": version,
        "received_at": now,
        "loaded_at": now,
    }
    cols = list(schema)
    placeholders = ", ".join("?" for _ in cols)
    for line, row in enumerate(rows, start=2):
        unknown = set(row) - set(cols)
        if unknown:
            raise KeyError(f"{table}: unknown columns {sorted(unknown)}")
        values = [row.get(c, prov.get(c)) for c in cols]
        values[cols.index("source_line")] = line
        con.execute(f"INSERT INTO {RAW_SCHEMA}.{table} ({', '.join(cols)}) VALUES ({placeholders})", values)


def load_standard_csv_examples(con: duckdb.DuckDBPyConnection, city_dir: Path) -> None:
    """Load a city's `standard`-dialect CSV examples straight into the raw tables (no validation)."""
    city = city_dir.name
    for table, (folder, suffix) in STANDARD_SOURCES.items():
        for path in sorted((city_dir / folder).glob("*.csv")):
            stem = path.stem
            if suffix and not stem.endswith(suffix) or (not suffix and "_" in stem.split("-")[-1]):
                continue
            period = stem[: len(stem) - len(suffix)] if suffix else stem
            domain = [c for c in table_schema(table) if c in _header(path)]
            rel = con.read_csv(str(path), sep=";", header=True, all_varchar=True)  # noqa: F841 - read by name in the SQL below
            types = table_schema(table)
            select = ", ".join(_cast(c, types[c]) for c in domain)
            rows = con.execute(f"SELECT {select} FROM rel").fetchall()
            insert_rows(con, table, city, [dict(zip(domain, r)) for r in rows], period=period)


def _header(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[0].split(";")


def _cast(col: str, dtype) -> str:
    import polars as pl

    if dtype == pl.Date and col == "monat":
        return f"strptime({col}, '%Y-%m')::DATE AS {col}"
    if dtype == pl.Boolean:
        return f"{col}::BOOLEAN AS {col}"
    if dtype == pl.Int32:
        return f"TRY_CAST({col} AS INTEGER) AS {col}"
    if dtype == pl.Float64:
        return f"{col}::DOUBLE AS {col}"
    if dtype == pl.Date:
        return f"{col}::DATE AS {col}"
    return col


def fresh_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    create_raw_tables(con)
    return con
