"""The Dunkelziffer estimation on either engine: read what it needs through the engine, estimate
in this process, write the estimates back as `marts.fct_dunkelziffer_estimates`.

Why outside dbt: the estimators are Python (numpy, a log-linear GLM), and dbt-spark's session
method (like a Spark cluster behind Thrift) cannot run dbt Python models. The staging models stay
where dbt builds them; this step reads, per city, only the rows the estimation uses
(`estimation.warehouse.city_slices`: the register on the reference date, the school census of that
date, one SGB II month, counselling around it, the city's movement events and problem-property
files) through the engine into an in-memory DuckDB of this process, runs the same
`estimate_all` on it, and writes the aggregated rows back through the engine. It is the same path
on both engines; on DuckDB it gives the table the dbt Python model gave, bit for bit
(tests/estimation/test_in_engine.py). Person-level rows only pass through this process's memory
(the city layer, the office's own machine); what is written holds counts and estimates only.

Orchestration: the Dagster asset `marts/fct_dunkelziffer_estimates` (orchestration/defs/estimates.py)
between the staging models and the models that read the estimates as the dbt source
`marts.fct_dunkelziffer_estimates`; `orchestration.dbt_project.run_models` runs the three steps in
order outside Dagster.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from estimation.warehouse import DEFAULT_RELATIONS, ESTIMATE_SCHEMA, city_slices, estimate_all, mark_recommended

TABLE = "marts.fct_dunkelziffer_estimates"
CITY_ID = re.compile(r"^[a-z0-9_]+$")  # city ids are written into the SQL text: nothing else


@dataclass
class EngineIO:
    """What the estimation needs of an engine: run a portable query to Arrow, say whether a
    relation exists, and replace the estimates table with an Arrow table (atomically where the
    engine can)."""

    query: Callable[[str], pa.Table]
    exists: Callable[[str], bool]
    replace: Callable[[str, pa.Table], None]


def estimate_through(
    io: EngineIO, relations: dict[str, str] | None = None, cities: set[str] | None = None
) -> pl.DataFrame:
    """Every city's estimates (the rows `estimate_all` gives on the warehouse itself), or those
    of `cities`, read through `io` one city at a time."""
    rel = {**DEFAULT_RELATIONS, **(relations or {})}
    present = {key: name for key, name in rel.items() if io.exists(name)}
    frames = [
        _estimate_city(io, present, city, t, census)
        for city, (t, census) in sorted(_reference_dates(io, present).items())
        if cities is None or city in cities
    ]
    return pl.concat(frames) if frames else mark_recommended(pl.DataFrame(schema=ESTIMATE_SCHEMA))


def _reference_dates(io: EngineIO, rel: dict[str, str]) -> dict[str, tuple[date, date]]:
    """The reference date of each city, by the estimation's own rule (`reference_dates`), on the
    distinct register dates and the latest census of each city."""
    from estimation.warehouse import reference_dates

    if "bestand" not in rel or "schule" not in rel:
        return {}
    with duckdb.connect() as mem:
        _create(mem, "bestand", io.query(f"select distinct city, stichtag from {rel['bestand']}"))
        _create(mem, "schule", io.query(f"select city, max(stichtag) as stichtag from {rel['schule']} group by city"))
        return reference_dates(mem, {"bestand": "bestand", "schule": "schule"})


def _estimate_city(io: EngineIO, rel: dict[str, str], city: str, t: date, census: date) -> pl.DataFrame:
    if not CITY_ID.match(city):
        raise ValueError(f"unexpected city id {city!r}")
    with duckdb.connect() as mem:
        for key, condition in city_slices(t, census).items():
            if key in rel:
                where = f"city = '{city}'" + (f" and {condition}" if condition else "")
                _create(mem, key, io.query(f"select * from {rel[key]} where {where}"))
        return estimate_all(mem, {key: key for key in rel})


def _create(mem: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    mem.register("_rows", table)
    try:
        mem.execute(f"create table {name} as select * from _rows")
    finally:
        mem.unregister("_rows")


# --- the two engines ------------------------------------------------------------------------


def duckdb_io(con: duckdb.DuckDBPyConnection) -> EngineIO:
    """The warehouse's own DuckDB connection (the caller holds the writer slot)."""

    def exists(relation: str) -> bool:
        schema, _, name = relation.partition(".")
        return bool(
            con.execute(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchone()[0]
        )

    def replace(relation: str, table: pa.Table) -> None:
        with _transaction(con):
            _create_or_replace(con, relation, table)

    return EngineIO(query=lambda sql: con.execute(sql).arrow(), exists=exists, replace=replace)


def spark_io(spark) -> EngineIO:
    """A Spark session on the warehouse's Spark side (warehouse.engine.spark_session)."""

    def exists(relation: str) -> bool:
        return bool(spark.catalog.tableExists(relation))

    def replace(relation: str, table: pa.Table) -> None:
        schema = relation.partition(".")[0]
        spark.sql(f"create database if not exists {schema}")
        # Parquet like dbt-spark's tables; Spark's overwrite of a managed table is not atomic
        # (a failed write leaves no table, which fails the models that read it, never stale rows)
        # from Arrow (Spark 4): pandas would turn a NULL double into NaN
        frame = spark.createDataFrame(table, schema=_spark_schema(table.schema))
        frame.write.mode("overwrite").format("parquet").saveAsTable(relation)

    return EngineIO(query=lambda sql: spark.sql(sql).toArrow(), exists=exists, replace=replace)


def _spark_schema(schema: pa.Schema):
    from pyspark.sql import types as T

    kinds = {pa.string(): T.StringType(), pa.large_string(): T.StringType(), pa.float64(): T.DoubleType()}
    kinds |= {pa.bool_(): T.BooleanType(), pa.date32(): T.DateType(), pa.int64(): T.LongType()}
    return T.StructType([T.StructField(f.name, kinds[f.type], True) for f in schema])


@dataclass
class EstimateRun:
    mode: str  # full | incremental | unchanged
    reason: str
    cities: list[str]  # the cities estimated afresh (or dropped)
    rows: int  # rows of the table afterwards


def write_estimates(
    warehouse: str | Path | None = None, code_version: str = "", full_refresh: bool = False
) -> EstimateRun:
    """Estimate on the engine of the switch (WAREHOUSE_ENGINE) and write the estimates table there.

    On DuckDB only the cities whose inputs changed are estimated afresh: a city's estimates depend
    on its own rows alone, and `meta.city_input_digests` (the digest dbt's city_incremental models
    use: the city's loaded files, quality-gate blocks and configuration) says which changed since
    the last estimation (`meta.estimate_increments`). Everything is estimated again on
    `full_refresh`, without a table or state, or when `code_version` (the estimation's and the dbt
    project's code, from the caller) changed; the result is the same rows either way (tested in
    tests/increments). On Spark, whose plain Parquet tables cannot delete rows, every run is full."""
    from warehouse import engine

    if engine.is_spark():
        # the running session (dbt in this process) or one of its own, stopped at the end: the
        # metastore admits one process, and the next dbt may run in another
        with engine.spark_session_scope(warehouse) as spark:
            io = spark_io(spark)
            estimates = estimate_through(io)
            io.replace(TABLE, estimates.to_arrow())
        return EstimateRun("full", "spark: full rebuild", sorted(set(estimates["city"])), estimates.height)
    from warehouse.db import connect

    with connect(warehouse) as con:
        return _write_duckdb(con, code_version, full_refresh)


def _write_duckdb(con, code_version: str, full_refresh: bool) -> EstimateRun:
    io = duckdb_io(con)
    digests = _digests(con, io)
    state = _state(con, io)
    reason = (
        "full refresh"
        if full_refresh
        else "no estimates table"
        if not io.exists(TABLE)
        else "no state of an earlier estimation"
        if not state
        else "the code changed"
        if {code for _, code in state.values()} != {code_version}
        else "no input digests"
        if not digests
        else ""
    )
    if reason:
        estimates = estimate_through(io)
        with _transaction(con):
            _create_or_replace(con, TABLE, estimates.to_arrow())
            _save_state(con, digests, code_version, set(digests), replace_all=True)
        return EstimateRun("full", reason, sorted(set(estimates["city"])), estimates.height)
    changed = {c for c in set(digests) | set(state) if digests.get(c) != (state.get(c) or (None,))[0]}
    if not changed:
        rows = con.execute(f"select count(*) from {TABLE}").fetchone()[0]
        return EstimateRun("unchanged", "no city's inputs changed", [], rows)
    estimates = estimate_through(io, cities=changed)
    with _transaction(con):
        con.execute(f"delete from {TABLE} where list_contains($cities, city)", {"cities": sorted(changed)})
        con.register("_estimates", estimates.to_arrow())
        try:
            con.execute(f"insert into {TABLE} select * from _estimates")
        finally:
            con.unregister("_estimates")
        _save_state(con, digests, code_version, changed)
    rows = con.execute(f"select count(*) from {TABLE}").fetchone()[0]
    return EstimateRun("incremental", "the inputs of these cities changed", sorted(changed), rows)


STATE = "meta.estimate_increments"  # per city: the input digest and code its estimates are of


def _digests(con, io: EngineIO) -> dict[str, str]:
    if not io.exists("meta.city_input_digests"):
        return {}
    return dict(con.execute("select city, input_digest from meta.city_input_digests").fetchall())


def _state(con, io: EngineIO) -> dict[str, tuple[str, str]]:
    if not io.exists(STATE):
        return {}
    return {c: (d, v) for c, d, v in con.execute(f"select city, input_digest, code_version from {STATE}").fetchall()}


def _save_state(con, digests: dict[str, str], code_version: str, cities: set[str], replace_all: bool = False) -> None:
    con.execute("create schema if not exists meta")
    con.execute(
        f"create table if not exists {STATE} (city varchar primary key, input_digest varchar, "
        "code_version varchar, estimated_at timestamp)"
    )
    if replace_all:
        con.execute(f"delete from {STATE}")
    else:
        con.execute(f"delete from {STATE} where list_contains($cities, city)", {"cities": sorted(cities)})
    rows = [(c, digests[c], code_version) for c in sorted(cities) if c in digests]  # a dropped city has none
    if rows:
        con.executemany(f"insert into {STATE} values (?, ?, ?, now()::timestamp)", rows)


def _create_or_replace(con, relation: str, table: pa.Table) -> None:
    con.register("_estimates", table)
    try:
        con.execute(f"create schema if not exists {relation.partition('.')[0]}")
        con.execute(f"create or replace table {relation} as select * from _estimates")
    finally:
        con.unregister("_estimates")


class _transaction:
    """One DuckDB transaction: the table and its state change together or not at all."""

    def __init__(self, con):
        self.con = con

    def __enter__(self):
        self.con.execute("begin")

    def __exit__(self, kind, exc, tb):
        self.con.execute("rollback" if kind else "commit")
        return False
