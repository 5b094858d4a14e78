"""The served tables Spark built, imported into the DuckDB warehouse (WAREHOUSE_ENGINE=spark).

DuckDB stays the serving store: after every dbt invocation on Spark that built anything, the
tables of the served schemas (`SERVED_SCHEMAS`: seeds, marts, official, exchange, alliance)
that the invocation built replace their DuckDB copies, and the build records dbt writes on Spark
(`meta.dbt_builds`, `meta.dbt_increment_runs`) are merged into DuckDB's, so everything after dbt
(mart checks, disclosure repair, exchange export, publish, reports) runs unchanged on DuckDB.
The person-level schemas (staging, intermediate) never leave Spark: they are not imported. The
one exception is named (`CITY_LAYER_TRUTH`): the city layer's cells before disclosure control,
an aggregate the disclosure repair reads as the true values. It goes into the DuckDB warehouse,
the city layer's own file (the publish step copies no intermediate table); without it the repair
would judge the pattern without true values and hide other cells than on DuckDB.

How: DuckDB reads each table's Parquet folder in the Spark warehouse
(`<spark dir>/tables/<schema>.db/<table>/part-*.parquet`, dbt-spark's managed tables) directly,
not through a Spark session: no second JVM beside dbt's (the Derby metastore admits one process
at a time, and a JVM costs seconds and a gigabyte), and DuckDB's Parquet reader is the fastest way
into DuckDB. The column types are not left to the Parquet reader: Spark writes its own schema
into every file's footer (`org.apache.spark.sql.parquet.row.metadata`), and each column is cast
to the DuckDB type of its Spark type (`duckdb_type`), so a string is VARCHAR, a long BIGINT, a
timestamp_ntz TIMESTAMP, whatever the physical Parquet type.

All tables and records of one import are written in one DuckDB transaction: a reader sees the
previous build or this one, never half of each; a served table the invocation built but Spark
does not hold fails the import before anything is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from warehouse import engine
from warehouse.db import connect

# what leaves Spark: the tables the serving side reads (reference holds the seeds)
SERVED_SCHEMAS = ("reference", "marts", "official", "exchange", "alliance")
# The person-level schemas (staging, intermediate: the city layer) are never imported, whatever a
# manifest says, with one table of intermediate as the exception: the aggregated cells before disclosure control
# (counts of 1 or 2 still visible), which the disclosure repair needs as its true values
# (disclosure.relations.TRUTH). Never published (orchestration.publish copies no intermediate table).
CITY_LAYER_TRUTH = (("intermediate", "int_exchange__cells"),)
# dbt materialisations that leave a table (a view has no Parquet folder; none is served)
TABLE_MATERIALIZATIONS = {"table", "incremental", "city_incremental", "city_period_incremental", "seed"}
SPARK_SCHEMA_KEY = "org.apache.spark.sql.parquet.row.metadata"

# The build records dbt writes on Spark, with the DuckDB columns of the DuckDB macros
# (macros/build_state.sql, macros/increments.sql): created like that when DuckDB has none yet.
# dbt_increment_runs has no `periods` on Spark (its models are rebuilt in full there).
META_DDL = {
    "dbt_builds": """create table if not exists meta.dbt_builds (
        invocation_id varchar primary key, command varchar, started_at timestamp,
        finished_at timestamp, status varchar, data_version varchar, loaded_files bigint)""",
    "dbt_increment_runs": """create table if not exists meta.dbt_increment_runs (
        invocation_id varchar, model varchar, mode varchar, reason varchar, cities varchar [],
        rows_inserted bigint, built_at timestamp, periods varchar [])""",
}
# Spark appends a build's final row beside its 'running' row (Parquet cannot update): the
# invocation's state is its finished row, one row per invocation as on DuckDB.
META_ROWS = {
    "dbt_builds": "select * from ({select}) qualify row_number() over "
    "(partition by invocation_id order by finished_at is null, finished_at desc) = 1",
    "dbt_increment_runs": "select *, cast(null as varchar []) as periods from ({select})",
}
# DuckDB's increment records of a model: a table replaced by Spark's must be rebuilt in full by
# a later DuckDB build, not incrementally from records of the replaced table
INCREMENT_RECORDS = ("dbt_increments", "dbt_period_increments")

_SIMPLE_TYPES = {
    "string": "VARCHAR",
    "boolean": "BOOLEAN",
    "byte": "TINYINT",
    "short": "SMALLINT",
    "integer": "INTEGER",
    "long": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "date": "DATE",
    "timestamp_ntz": "TIMESTAMP",
    # Spark's TIMESTAMP is an instant (the session's zone is UTC, warehouse.engine.spark_conf)
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "binary": "BLOB",
}


class SparkImportError(RuntimeError):
    """A served table that cannot be imported (missing on Spark, an unknown type)."""


@dataclass(frozen=True)
class Imported:
    schema: str
    table: str
    rows: int


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def duckdb_type(spark_type) -> str:
    """The DuckDB type of a Spark type as Spark's JSON schema spells it ("long",
    "decimal(10,2)", {"type": "array", ...}); an unknown type is an error, never a guess."""
    if isinstance(spark_type, str):
        if spark_type in _SIMPLE_TYPES:
            return _SIMPLE_TYPES[spark_type]
        if spark_type.startswith("decimal("):
            return spark_type.upper()
        if spark_type.startswith(("varchar(", "char(")):
            return "VARCHAR"
    elif spark_type.get("type") == "array":
        return f"{duckdb_type(spark_type['elementType'])}[]"
    elif spark_type.get("type") == "map":
        return f"MAP({duckdb_type(spark_type['keyType'])}, {duckdb_type(spark_type['valueType'])})"
    elif spark_type.get("type") == "struct":
        fields = ", ".join(f"{_quote(f['name'])} {duckdb_type(f['type'])}" for f in spark_type["fields"])
        return f"STRUCT({fields})"
    raise SparkImportError(f"no DuckDB type for the Spark type {spark_type!r}")


def table_dir(schema: str, table: str, tables_dir: Path) -> Path:
    """dbt-spark's managed table: `<spark.sql.warehouse.dir>/<schema>.db/<table>/`."""
    return tables_dir / f"{schema}.db" / table


def spark_columns(con, folder: Path) -> list[tuple[str, str]]:
    """(name, DuckDB type) of the Spark table in `folder`, from the Spark schema in its Parquet
    footer (every file of a table carries the table's schema)."""
    files = sorted(folder.glob("part-*.parquet"))
    if not files:
        raise SparkImportError(f"{folder}: no Parquet files (not a Spark table)")
    found = con.execute(
        "select decode(value) from parquet_kv_metadata(?) where decode(key) = ?", [str(files[0]), SPARK_SCHEMA_KEY]
    ).fetchone()
    if found is None:
        raise SparkImportError(f"{files[0]}: no Spark schema in the Parquet footer")
    return [(f["name"], duckdb_type(f["type"])) for f in json.loads(found[0])["fields"]]


def typed_select(con, folder: Path, declared: dict[str, str] | None = None) -> str:
    """A select over the table's Parquet files with every column cast to its DuckDB type: the
    type the model's yml declares (`data_type`, for a DuckDB type Spark lacks, e.g. HUGEINT),
    else the one of its Spark type."""
    declared = declared or {}
    columns = ", ".join(
        f"cast({_quote(n)} as {declared.get(n, t)}) as {_quote(n)}" for n, t in spark_columns(con, folder)
    )
    pattern = str(folder / "part-*.parquet").replace("'", "''")
    return f"select {columns} from read_parquet('{pattern}')"


def declared_types(target_path: str | Path) -> dict[tuple[str, str], dict[str, str]]:
    """(schema, table) -> {column: DuckDB type} of the columns whose yml declares a `data_type`
    (`<target>/manifest.json`), for the served models and seeds."""
    nodes = json.loads((Path(target_path) / "manifest.json").read_text())["nodes"]
    declared = {}
    for node in nodes.values():
        types = {c["name"]: c["data_type"] for c in node.get("columns", {}).values() if c.get("data_type")}
        if types and _imported(node["schema"], node.get("alias") or node["name"]):
            declared[(node["schema"], node.get("alias") or node["name"])] = types
    return declared


def built_tables(target_path: str | Path) -> list[tuple[str, str]]:
    """(schema, table) of the served tables a dbt invocation built: the successful model and
    seed nodes of `<target>/run_results.json` materialised as tables in SERVED_SCHEMAS, and the
    CITY_LAYER_TRUTH (their schema and alias from `<target>/manifest.json`, written by the same
    invocation)."""
    target = Path(target_path)
    if not (target / "run_results.json").exists():  # dbt ended before its first node
        return []
    results = json.loads((target / "run_results.json").read_text())["results"]
    manifest = json.loads((target / "manifest.json").read_text())
    nodes, sources = manifest["nodes"], manifest.get("sources", {})
    tables = set()
    for result in results:
        node = nodes.get(result["unique_id"])
        if node is None or node["resource_type"] not in ("model", "seed") or result["status"] != "success":
            continue
        name = (node["schema"], node.get("alias") or node["name"])
        if _imported(*name) and node["config"].get("materialized") in TABLE_MATERIALIZATIONS:
            tables.add(name)
        # a served table written on the engine outside dbt and read as a source (the Dunkelziffer
        # estimates, estimation.in_engine) comes along with the models that read it
        for parent in node.get("depends_on", {}).get("nodes", []):
            source = sources.get(parent)
            if source is not None and source["schema"] in SERVED_SCHEMAS:
                tables.add((source["schema"], source.get("identifier") or source["name"]))
    return sorted(tables)


def _imported(schema: str, table: str) -> bool:
    """A served table, or the one named table of the city layer; never another person-level one."""
    return schema in SERVED_SCHEMAS or (schema, table) in CITY_LAYER_TRUTH


def import_tables(
    database: str | Path | None,
    tables: list[tuple[str, str]],
    tables_dir: str | Path | None = None,
    *,
    declared: dict[tuple[str, str], dict[str, str]] | None = None,
    log=print,
) -> list[Imported]:
    """Replace the DuckDB copies of `tables` (schema, table) with Spark's and merge Spark's build
    records into DuckDB's, in one transaction; `declared` (`declared_types`) names the DuckDB
    type of columns Spark cannot type alike. A table of a person-level schema is refused; a
    table Spark does not hold fails before anything is written."""
    spark_tables = Path(tables_dir) if tables_dir else engine.spark_tables_dir(database)
    refused = [f"{s}.{t}" for s, t in tables if not _imported(s, t)]
    if refused:
        raise SparkImportError(f"not a served schema, never imported from Spark: {', '.join(refused)}")
    missing = [f"{s}.{t}" for s, t in tables if not table_dir(s, t, spark_tables).is_dir()]
    if missing:
        raise SparkImportError(
            f"built by dbt but not in the Spark warehouse {spark_tables}: {', '.join(missing)} "
            "(the DuckDB copies are left as they were)"
        )
    meta = [name for name in META_DDL if table_dir("meta", name, spark_tables).is_dir()]
    imported: list[Imported] = []
    with connect(database) as con:
        # the selects first (a type Spark has and DuckDB lacks fails here, before the transaction)
        selects = {
            (s, t): typed_select(con, table_dir(s, t, spark_tables), (declared or {}).get((s, t))) for s, t in tables
        }
        meta_selects = {n: typed_select(con, table_dir("meta", n, spark_tables)) for n in meta}
        con.execute("begin transaction")
        try:
            for (schema, table), select in selects.items():
                con.execute(f"create schema if not exists {_quote(schema)}")
                con.execute(f"create or replace table {_quote(schema)}.{_quote(table)} as {select}")
                rows = con.execute(f"select count(*) from {_quote(schema)}.{_quote(table)}").fetchone()[0]
                imported.append(Imported(schema, table, rows))
            _merge_meta(con, meta_selects, [f"{s}.{t}" for s, t in tables])
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    log(
        f"spark import: {len(imported)} served tables ({sum(i.rows for i in imported):,} rows) "
        f"and {', '.join(f'meta.{n}' for n in meta) or 'no build records'} into {database or 'the warehouse'}"
    )
    return imported


def _merge_meta(con, selects: dict[str, str], models: list[str]) -> None:
    """Spark's build records into DuckDB's tables of the same name, by invocation: an invocation
    Spark recorded replaces DuckDB's rows of it; DuckDB's other invocations stay."""
    con.execute("create schema if not exists meta")
    for name, select in selects.items():
        con.execute(META_DDL[name])
        rows = META_ROWS[name].format(select=select)
        con.execute(f"create temp table spark_{name} as {rows}")
        con.execute(f"delete from meta.{name} where invocation_id in (select invocation_id from spark_{name})")
        con.execute(f"insert into meta.{name} by name select * from spark_{name}")
        con.execute(f"drop table spark_{name}")
    present = {
        r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'meta'").fetchall()
    }
    for name in INCREMENT_RECORDS:
        if name in present and models:
            con.execute(f"delete from meta.{name} where model in (select unnest(?))", [models])


def import_build(database: str | Path | None, target_path: str | Path, *, log=print) -> list[Imported]:
    """After a dbt invocation on Spark: the served tables it built (`built_tables`) and the build
    records into the DuckDB warehouse `database`. An invocation that built nothing (test, or a
    failure before the first model) still brings its build record."""
    tables = built_tables(target_path)
    return import_tables(database, tables, declared=declared_types(target_path) if tables else None, log=log)
