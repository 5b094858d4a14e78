"""The engine switch: WAREHOUSE_ENGINE=duckdb (default, embedded) or spark (a Spark session).

DuckDB stays the loader and the store of the raw layer in both cases. With `spark` dbt runs on
the `spark` target of dbt_project/profiles.yml: a Spark session whose warehouse folder
(`settings.spark_warehouse_dir`) holds

    tables/        spark.sql.warehouse.dir: the tables and views dbt builds (schema = database)
    metastore_db/  the Derby metastore, so the catalog survives separate dbt processes
    raw/           the raw layer as Parquet (warehouse.spark_raw), registered by the
                   on-run-start hook `spark_register_raw` as external tables of the same names

This module names those places and the environment the profile reads; it imports Spark only
when a session is asked for.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from warehouse import settings

# dbt target of each engine (dbt_project/profiles.yml)
DBT_TARGETS = {"duckdb": "dev", "spark": "spark"}


def engine() -> str:
    return settings.warehouse_engine()


def is_spark() -> bool:
    return engine() == "spark"


def dbt_target(name: str | None = None) -> str:
    return DBT_TARGETS[name or engine()]


def spark_dir(database: str | Path | None = None) -> Path:
    return settings.spark_warehouse_dir(database)


def spark_tables_dir(database: str | Path | None = None) -> Path:
    return spark_dir(database) / "tables"


def spark_metastore_dir(database: str | Path | None = None) -> Path:
    return spark_dir(database) / "metastore_db"


def spark_raw_dir(database: str | Path | None = None) -> Path:
    return spark_dir(database) / "raw"


def spark_conf(database: str | Path | None = None) -> dict[str, str]:
    """The Spark session's settings, the same for dbt (profiles.yml reads them from the
    environment, `spark_env`) and for a session of our own (`spark_session`)."""
    root = spark_dir(database)
    return {
        "spark.master": settings.spark_master(),
        "spark.driver.memory": settings.spark_driver_memory(),
        "spark.sql.warehouse.dir": str(spark_tables_dir(database)),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={spark_metastore_dir(database)};create=true"
        ),
        # derby.log beside the metastore, not in the working directory
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={root}",
        # a small world: two cores, few shuffle partitions (Spark's 200 would be 200 tiny tasks)
        "spark.sql.shuffle.partitions": "4",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",  # it cuts dbt's JSON log lines (profiles.yml)
        "spark.sql.session.timeZone": "UTC",
        # DuckDB's TIMESTAMP has no time zone: read Parquet timestamps without one as TIMESTAMP_NTZ
        "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
        # dbt-spark sets ANSI off for every session; the same for ours
        "spark.sql.ansi.enabled": "false",
    }


def spark_env(database: str | Path | None = None) -> dict[str, str]:
    """The variables the `spark` target of profiles.yml and the raw hook read."""
    conf = spark_conf(database)
    return {
        "SPARK_WAREHOUSE_DIR": str(spark_dir(database)),
        "SPARK_MASTER": conf["spark.master"],
        "SPARK_DRIVER_MEMORY": conf["spark.driver.memory"],
        "SPARK_RAW_DIR": str(spark_raw_dir(database)),
    }


def spark_session(database: str | Path | None = None):
    """A Spark session on this warehouse's Spark side (the catalog dbt built), for readers and
    tests. One per process: Spark keeps the first session's warehouse folder and metastore."""
    from pyspark.sql import SparkSession

    # the active session is per thread (dbt's runs in its own); the instantiated one is the process's
    active = SparkSession.getActiveSession() or SparkSession._instantiatedSession
    wanted = str(spark_tables_dir(database))
    if active is not None and not active.conf.get("spark.sql.warehouse.dir", "").rstrip("/").endswith(wanted):
        # getOrCreate would hand back the other warehouse's session (its catalog is fixed at start)
        raise RuntimeError(f"a Spark session of another warehouse is active in this process, not {wanted}")
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in spark_conf(database).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def spark_session_started(database: str | Path | None = None):
    """(session, started): the process's Spark session on this warehouse, and whether this call
    started it (then the caller stops it when done: `stop_spark`)."""
    from pyspark.sql import SparkSession

    before = SparkSession.getActiveSession() or SparkSession._instantiatedSession
    return spark_session(database), before is None


def stop_spark(spark) -> None:
    """Stop the session and the JVM this process started for it: Spark's Derby metastore admits
    one process at a time, and the next dbt may run in another."""
    import subprocess

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


@contextlib.contextmanager
def spark_session_scope(database: str | Path | None = None):
    """The process's Spark session on this warehouse for one piece of work (a mart check, the
    estimation): the running one if there is one (dbt in this process, a test's), else a new one
    stopped with its JVM at the end, so that the next dbt process can open the Derby metastore."""
    spark, started = spark_session_started(database)
    try:
        yield spark
    finally:
        if started:
            stop_spark(spark)
