"""A mart check on Spark in a process without a Spark session (a Dagster step) starts one and
stops it with its JVM: the Derby metastore admits one process at a time, so a JVM left running
would lock the next dbt (another process) out of the catalog. Its own module: the check must
find no session running, and only one JVM runs at a time (this process's, then a second
process's). Marker `spark`; a missing Java fails (tests/engine/spark_env.py)."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from engine.spark_env import require_spark

pytestmark = [pytest.mark.spark, pytest.mark.slow]

OPEN_CATALOG = """
import sys
from warehouse import engine
spark = engine.spark_session(sys.argv[1])
print(sorted(d.name for d in spark.catalog.listDatabases()))
spark.sql("create database if not exists probe")
engine.stop_spark(spark)
"""


def test_a_check_started_session_is_stopped_and_frees_the_catalog(tmp_path, monkeypatch):
    require_spark()
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    from ingest.schemas import create_meta_tables
    from quality import run_mart_checks

    assert SparkSession._instantiatedSession is None and SparkContext._gateway is None
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    create_meta_tables(con)
    con.close()
    monkeypatch.setenv("WAREHOUSE_ENGINE", "spark")
    results = run_mart_checks(warehouse, ["fct_fluctuation"])
    # an empty Spark catalog: the suite fails (never passes unseen) ...
    assert [(r.outcome, r.blocking) for r in results] == [("error", True)]
    assert "does not exist in the Spark catalog" in results[0].details
    # ... and the session it started is gone with its JVM
    assert SparkSession._instantiatedSession is None and SparkContext._gateway is None
    other = subprocess.run(
        [sys.executable, "-c", OPEN_CATALOG, str(warehouse)], capture_output=True, text=True, timeout=300
    )
    assert other.returncode == 0, other.stderr[-2000:]
    assert "default" in other.stdout
