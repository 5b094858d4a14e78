"""Canonical schemas of the raw layer: one table per source and form.

Every dialect is normalised into these columns (the `standard` meaning of each field,
see shared/spec/deliveries.md section 3). Codes that the spec maps one-to-one per dialect
(event types, sex, Dutch newcomer classes) are translated during ingest; nationality keys
are Destatis keys in `staatsangehoerigkeit` for every city (Enschede's ISO codes are
translated through `dbt_project/seeds/nationalities.csv`) while pupils keep ISO alpha-3
as the standard school file does. Districts stay the city's own codes; harmonisation of
districts, nationality groups and age bands happens in dbt.

This module is the contract between ingest, the demo generator and the dbt sources; the tables
and their columns come from the source registry (`ingest.sources`, one declaration per source).
"""

from __future__ import annotations

import polars as pl

from ingest import sources

RAW_SCHEMA = "raw"  # DuckDB schema of the raw tables (dbt source `raw`)
META_SCHEMA = "meta"  # delivery registry, quality results, load log

# The sources and their raw tables are declared in `ingest.sources` (the source registry); these
# are the views of it that the raw layer needs.
# (source, form) -> raw table name. `form` distinguishes two files of one source.
TABLES: dict[tuple[str, str], str] = {(t.source, t.form): t.name for t in sources.tables()}

# Domain columns in the order of the standard dialect (suppressed counts: then their flags).
COLUMNS: dict[str, dict[str, pl.DataType]] = {t.name: t.schema for t in sources.tables()}

S, D, I = pl.String, pl.Date, pl.Int32

# District boundaries (spec section 3.8): `gebiete/current[_vN].geojson`, read by
# `ingest.geometry` (not a dialect table: every city delivers the same GeoJSON), reprojected to
# GEOMETRY_CRS and stored as WKB. A delivery of its own, never a change of `raw.gebiete`.
GEOMETRY_FORM = "geometrie"
GEOMETRY_TABLE = "gebiete_geometrie"
GEOMETRY_EXTENSION = "geojson"
GEOMETRY_CRS = "EPSG:3035"  # ETRS89-LAEA Europe: metres, equal-area, one system for DE and NL
GEOMETRY_COLUMNS: dict[str, pl.DataType] = {
    "bezirk_code": S,
    "ebene": S,
    "gueltig_ab": D,
    "gueltig_bis": D,
    "geometry_wkb": pl.Binary,  # Polygon or MultiPolygon in GEOMETRY_CRS
    "area_ha": pl.Float64,  # area of the reprojected geometry (equal-area system)
    "source_crs": S,  # the system the city delivered, e.g. EPSG:25832
}

# Provenance carried by every raw row.
PROVENANCE: dict[str, pl.DataType] = {
    "city": S,  # city slug, e.g. "dortmund"
    "delivery_file": S,  # path relative to the landing directory
    "file_sha256": S,
    "delivery_period": S,  # YYYY-MM, YYYY-MM-DD or "current"
    "delivery_version": I,  # 1 for a file without _vN
    "source_line": I,  # line (CSV) or row (xlsx) of the record in the file; Parquet: row index + 1
    "received_at": pl.Datetime("us"),  # file modification time as found in landing
    "loaded_at": pl.Datetime("us"),
}


def table_schema(table: str) -> dict[str, pl.DataType]:
    """Full column -> dtype mapping of a raw table (domain columns, then provenance)."""
    domain = GEOMETRY_COLUMNS if table == GEOMETRY_TABLE else COLUMNS[table]
    return {**domain, **PROVENANCE}


def _duck_type(dtype: pl.DataType) -> str:
    if dtype == pl.String:
        return "VARCHAR"
    if dtype == pl.Date:
        return "DATE"
    if dtype == pl.Int32:
        return "INTEGER"
    if dtype == pl.Float64:
        return "DOUBLE"
    if dtype == pl.Boolean:
        return "BOOLEAN"
    if dtype == pl.Binary:
        return "BLOB"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMP"
    raise TypeError(f"no DuckDB type for {dtype}")


def create_table_sql(table: str) -> str:
    cols = ",\n  ".join(f"{c} {_duck_type(t)}" for c, t in table_schema(table).items())
    return f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{table} (\n  {cols}\n)"


def create_raw_tables(con) -> None:
    """Create the (empty) raw schema in a DuckDB connection. Idempotent.

    Lets dbt, quality and report work run against the contract before any delivery is loaded.
    """
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
    for table in (*COLUMNS, GEOMETRY_TABLE):
        con.execute(create_table_sql(table))
    create_meta_tables(con)
    write_city_configs(con)


# Bookkeeping tables in schema `meta` (shared by ingest, quality and reports).
META_TABLES_SQL: dict[str, str] = {
    # Every delivery file seen and what became of it.
    "delivery_registry": """
        delivery_file VARCHAR NOT NULL, city VARCHAR, source VARCHAR, form VARCHAR,
        period VARCHAR, version INTEGER, file_sha256 VARCHAR NOT NULL, size_bytes BIGINT,
        received_at TIMESTAMP, registered_at TIMESTAMP NOT NULL,
        status VARCHAR NOT NULL,   -- loaded | superseded | duplicate | quarantined | pending
        reason VARCHAR, line INTEGER, rows BIGINT, loaded_at TIMESTAMP, superseded_by VARCHAR,
        PRIMARY KEY (delivery_file, file_sha256)""",
    # Quarantined deliveries someone released (`python -m ingest release FILE`): the next load
    # tries them again and accepts a corrected version much shorter than the one in force.
    "delivery_releases": """
        delivery_file VARCHAR NOT NULL, file_sha256 VARCHAR NOT NULL, released_at TIMESTAMP NOT NULL,
        reason_released VARCHAR, note VARCHAR, PRIMARY KEY (delivery_file, file_sha256)""",
    # One row per load run (command line, Dagster, demo).
    "load_runs": """
        run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP,
        landing_dir VARCHAR, synthetic BOOLEAN, loaded INTEGER, superseded INTEGER,
        duplicate INTEGER, quarantined INTEGER, pending INTEGER""",
    # Blocking results of quality checks: staging leaves these (city, source, form, period) out,
    # the exchange/alliance layers and the report show them as blocked with the reason.
    "quality_gate": """
        city VARCHAR NOT NULL, source VARCHAR NOT NULL, form VARCHAR NOT NULL DEFAULT '',
        period VARCHAR NOT NULL, check_name VARCHAR NOT NULL, reason VARCHAR,
        blocked_at TIMESTAMP NOT NULL""",
    # Decisions on blocked city-periods (`python -m quality release|reject`, Dagster job
    # gate_decision_job): who, when, why. A decision holds for the delivery in force when it was
    # taken (delivery_file; NULL for a block of a mart): released -> its gate rows no longer
    # count, rejected -> blocked for good; a corrected _vN is judged afresh by the checks.
    "gate_decisions": """
        city VARCHAR NOT NULL, source VARCHAR NOT NULL, form VARCHAR NOT NULL DEFAULT '',
        period VARCHAR NOT NULL, decision VARCHAR NOT NULL,  -- released | rejected
        delivery_file VARCHAR, reason VARCHAR NOT NULL, decided_by VARCHAR NOT NULL,
        decided_at TIMESTAMP NOT NULL, blocked_by VARCHAR""",
    # The configured cities (ingest/cities/*.yaml and CITY_CONFIG_DIR), rewritten on every load:
    # dbt's dim_cities reads this, so a new city is one configuration file and nothing else.
    "cities": """
        slug VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, country VARCHAR NOT NULL,
        official_key VARCHAR NOT NULL, key_type VARCHAR NOT NULL, dialect VARCHAR NOT NULL,
        optionskommune BOOLEAN NOT NULL, alliances VARCHAR NOT NULL, delivers_sgb2 BOOLEAN NOT NULL,
        registration_rule VARCHAR NOT NULL, notes VARCHAR""",
    # What each load changed, written in the transaction of the delivery itself (ingest.batch):
    # change_kind new_period | replacement (a _vN replacing the version in force) | new_gebiete
    # (a district reference, e.g. a reform). dbt's city_incremental models and the nightly
    # Dagster run read it (orchestration.increments).
    "raw_changes": """
        city VARCHAR NOT NULL, source VARCHAR NOT NULL, form VARCHAR, raw_table VARCHAR NOT NULL,
        period VARCHAR NOT NULL, version INTEGER, change_kind VARCHAR NOT NULL,
        delivery_file VARCHAR NOT NULL, replaced_file VARCHAR, load_id VARCHAR,
        changed_at TIMESTAMP NOT NULL""",
    # Every validation result (quality record).
    "quality_results": """
        run_id VARCHAR, checked_at TIMESTAMP NOT NULL, city VARCHAR, asset VARCHAR NOT NULL,
        period VARCHAR, check_name VARCHAR NOT NULL, severity VARCHAR NOT NULL,
        outcome VARCHAR NOT NULL,  -- passed | failed | error (could not run)
        failed_rows BIGINT, observed VARCHAR, details VARCHAR""",
}


# Per city, the parts of everything of the city that the city-layer models read: the deliveries in
# force (file and bytes), the quality gate's blocks and the city's configuration, each with the raw
# table and the period it belongs to (NULL for the configuration). dbt's city_period_incremental
# materialisation hashes them per city-period (macros/period_increments.sql).
CITY_INPUT_PARTS_SQL = f"""
    CREATE OR REPLACE VIEW {META_SCHEMA}.city_input_parts AS
    SELECT city, source || CASE WHEN coalesce(form, '') <> '' THEN '_' || form ELSE '' END AS raw_table,
        period, 'file|' || delivery_file || '|' || file_sha256 AS part
    FROM {META_SCHEMA}.delivery_registry WHERE status = 'loaded' AND city IS NOT NULL
    UNION ALL
    SELECT city, source || CASE WHEN coalesce(form, '') <> '' THEN '_' || form ELSE '' END, period,
        'gate|' || source || '|' || coalesce(form, '') || '|' || period || '|' || check_name
    FROM {META_SCHEMA}.quality_gate
    UNION ALL
    SELECT slug, NULL, NULL, 'city|' || concat_ws('|', name, country, official_key, key_type, dialect,
        optionskommune, alliances, delivers_sgb2, registration_rule, coalesce(notes, ''))
    FROM {META_SCHEMA}.cities"""

# Per city, a digest of all its parts: two builds from the same digest have the same city rows;
# dbt's city_incremental materialisation recomputes a city whose digest differs from the one it
# built (macros/increments.sql).
CITY_INPUT_DIGESTS_SQL = f"""
    CREATE OR REPLACE VIEW {META_SCHEMA}.city_input_digests AS
    SELECT city, sha256(string_agg(DISTINCT part, chr(10) ORDER BY part)) AS input_digest
    FROM {META_SCHEMA}.city_input_parts GROUP BY city"""


def create_meta_tables(con) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
    for name, cols in META_TABLES_SQL.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {META_SCHEMA}.{name} ({cols})")
    con.execute(CITY_INPUT_PARTS_SQL)
    con.execute(CITY_INPUT_DIGESTS_SQL)


REGISTRATION_RULE = {"DE": "DE_2_WEEKS", "NL": "NL_4_MONTHS"}  # codes of seeds/registration_rules.csv


def write_city_configs(con) -> None:
    """Replace `meta.cities` with the cities configured now (one transaction-safe statement pair)."""
    from ingest.config import load_cities

    rows = [
        (
            c.slug,
            c.name,
            c.country,
            c.official_key,
            c.key_type,
            c.dialect,
            c.optionskommune,
            "|".join(c.alliances),
            "sgb2" in c.sources,
            REGISTRATION_RULE[c.country],
            c.notes,
        )
        for c in load_cities().values()
    ]
    con.execute(f"DELETE FROM {META_SCHEMA}.cities")
    if rows:
        con.executemany(f"INSERT INTO {META_SCHEMA}.cities VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
