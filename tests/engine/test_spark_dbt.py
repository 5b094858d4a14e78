"""dbt on a local Spark session (WAREHOUSE_ENGINE=spark) against the small demo world: the raw
layer exported from the DuckDB warehouse, the seeds and the staging models built by Spark, and
compared with what DuckDB built from the same raw layer (row for row for the seeds and the small
models, counts for the large ones). Really runs Spark: a missing pyspark fails (make spark); only
a missing Java skips, with its reason. `pytest -m spark` selects these tests.

dbt runs in this process (run_dbt_in_process): the seed and run share one Spark JVM, and the
comparison reads dbt's catalog through the same session; the JVM is stopped at the end."""

from __future__ import annotations

import datetime as dt
import math
import shutil
import subprocess
import time
from decimal import Decimal

import duckdb
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]

FULL_COMPARE_ROWS = 60_000  # tables up to this size are compared row for row, larger by count


@pytest.fixture(scope="module")
def spark_world(published_demo, tmp_path_factory):
    if shutil.which("java") is None:
        pytest.skip("java missing: Spark needs Java 17 (make java installs openjdk-17-jre-headless)")
    import pyspark  # noqa: F401  (an ImportError is a failure: make spark installs the extra)

    from orchestration.dbt_project import run_dbt_in_process
    from warehouse import engine

    root = tmp_path_factory.mktemp("spark_world")
    warehouse = root / "warehouse.duckdb"
    shutil.copy(published_demo[0], warehouse)
    timings = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAREHOUSE_ENGINE", "spark")
        mp.delenv("SPARK_WAREHOUSE_DIR", raising=False)
        for name, args in (("seed", ["seed"]), ("staging", ["run", "--select", "staging"])):
            started = time.perf_counter()
            run_dbt_in_process(args, warehouse=warehouse, target_path=root / "dbt_target", log=lambda _: None)
            timings[name] = time.perf_counter() - started
        spark = engine.spark_session(warehouse)
        print(f"\nSpark local dbt: seed {timings['seed']:.1f} s, staging {timings['staging']:.1f} s")
        yield warehouse, spark, timings
        _stop_spark(spark)


def _stop_spark(spark) -> None:
    """Stop the session and the JVM this process started for it."""
    from pyspark import SparkContext

    spark.stop()
    gateway = SparkContext._gateway
    if gateway is not None:
        proc = getattr(gateway, "proc", None)  # spark-submit, started by this process
        gateway.shutdown()
        if proc is not None:
            proc.stdin.close()  # the JVM ends when its parent's pipe closes
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.terminate()
                proc.wait(timeout=30)
        SparkContext._gateway = None
        SparkContext._jvm = None


def _norm(value):
    """One spelling of a value across the two engines' Python types."""
    if isinstance(value, float | Decimal):
        value = float(value)
        return None if math.isnan(value) else float(f"{value:.12g}")
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, list | tuple):
        return tuple(_norm(v) for v in value)
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return value


def _rows(rows) -> list[tuple]:
    return sorted((tuple(_norm(v) for v in row) for row in rows), key=repr)


def _duckdb_relations(warehouse, schema: str) -> list[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = ? order by 1", [schema]
            ).fetchall()
        ]
    finally:
        con.close()


def _compare(warehouse, spark, schema: str) -> list[str]:
    """The relations of `schema` whose Spark rows differ from DuckDB's (names and reasons)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    differ = []
    try:
        spark_names = {r.tableName for r in spark.sql(f"show tables in {schema}").collect()}
        for name in _duckdb_relations(warehouse, schema):
            if name not in spark_names:
                differ.append(f"{schema}.{name}: not built on Spark")
                continue
            columns = [r[0] for r in con.execute(f'describe "{schema}"."{name}"').fetchall()]
            spark_columns = spark.table(f"{schema}.{name}").columns
            if spark_columns != columns:
                differ.append(f"{schema}.{name}: columns {spark_columns} != {columns}")
                continue
            n_duck = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            n_spark = spark.table(f"{schema}.{name}").count()
            if n_duck != n_spark:
                differ.append(f"{schema}.{name}: {n_spark} rows on Spark, {n_duck} on DuckDB")
            elif n_duck <= FULL_COMPARE_ROWS:
                duck_rows = _rows(con.execute(f'select * from "{schema}"."{name}"').fetchall())
                spark_rows = _rows(spark.table(f"{schema}.{name}").collect())
                if duck_rows != spark_rows:
                    first = next(i for i, (a, b) in enumerate(zip(duck_rows, spark_rows)) if a != b)
                    differ.append(f"{schema}.{name}: row {first}: {spark_rows[first]} != {duck_rows[first]}")
    finally:
        con.close()
    return differ


def test_seeds_on_spark_equal_duckdb(spark_world):
    warehouse, spark, _ = spark_world
    assert _duckdb_relations(warehouse, "reference")  # the comparison is not empty
    assert _compare(warehouse, spark, "reference") == []


def test_staging_on_spark_equals_duckdb(spark_world):
    warehouse, spark, timings = spark_world
    assert len(_duckdb_relations(warehouse, "staging")) >= 18
    assert _compare(warehouse, spark, "staging") == []
    assert timings["staging"] < 360  # the budget for the whole Spark part


def test_raw_layer_is_registered_under_the_source_names(spark_world):
    warehouse, spark, _ = spark_world
    from warehouse.spark_raw import exported_tables

    tables = exported_tables(warehouse)
    assert "raw.meldewesen" in tables and "raw_official.values" in tables
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for name in tables:
            schema, table = name.split(".")
            n_duck = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            assert spark.table(f"{schema}.`{table}`").count() == n_duck, name
    finally:
        con.close()


def test_build_record_on_spark(spark_world):
    """The Spark build record: the run's last row is complete, with the data version DuckDB's
    hook computed from the same deliveries (the same hash on both engines)."""
    warehouse, spark, _ = spark_world
    rows = spark.sql(
        "select invocation_id, status, data_version, finished_at from meta.dbt_builds order by started_at, finished_at"
    ).collect()
    assert rows and rows[-1].status == "complete" and rows[-1].finished_at is not None
    running = [r for r in rows if r.invocation_id == rows[-1].invocation_id and r.status == "running"]
    assert len(running) == 1
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        duck_version = con.execute(
            "select data_version from meta.dbt_builds where status = 'complete' order by started_at desc limit 1"
        ).fetchone()[0]
    finally:
        con.close()
    assert rows[-1].data_version == duck_version is not None


def test_a_session_of_another_warehouse_is_refused(spark_world, tmp_path):
    warehouse, spark, _ = spark_world
    from warehouse import engine

    assert engine.spark_session(warehouse) is spark
    with pytest.raises(RuntimeError, match="another warehouse"):
        engine.spark_session(tmp_path / "other.duckdb")
