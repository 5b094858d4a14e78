"""The import of Spark's served tables into the DuckDB warehouse (warehouse.spark_import), on a
local Spark session against the small demo world: dbt builds the seeds, two marts (one of them a
city_period_incremental model, which writes meta.dbt_increment_runs) and an intermediate model on
Spark; the import that follows every dbt invocation on Spark replaces DuckDB's copies of the
served tables with Spark's, with the column types of a DuckDB build, and never brings a
person-level table into DuckDB. A served table Spark does not hold fails the import, and nothing
is written. Really runs Spark (marker spark); a missing Java skips."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from engine.test_spark_dbt import _rows, _stop_spark

pytestmark = [pytest.mark.spark, pytest.mark.slow]

SEEDS = ["age_bands", "event_types", "indicator_catalogue", "nationalities", "registration_rules", "sexes"]
SERVED = [("reference", s) for s in SEEDS] + [("marts", "dim_cities"), ("marts", "fct_housing_problem_properties")]
PERSON_LEVEL = ("intermediate", "int_district_reform_mapping")
SENTINEL = "select 'duckdb copy, not replaced' as sentinel"


def _columns(path, schema, table) -> list[tuple[str, str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [(r[0], r[1]) for r in con.execute(f'describe "{schema}"."{table}"').fetchall()]
    finally:
        con.close()


def _all_rows(path, schema, table):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return _rows(con.execute(f'select * from "{schema}"."{table}"').fetchall())
    finally:
        con.close()


@pytest.fixture(scope="module")
def imported(published_demo, tmp_path_factory):
    if shutil.which("java") is None:
        pytest.skip("java missing: Spark needs Java 17 (make java installs openjdk-17-jre-headless)")
    import pyspark  # noqa: F401  (an ImportError is a failure: make spark installs the extra)

    from orchestration.dbt_project import run_dbt_in_process
    from warehouse import engine

    root = tmp_path_factory.mktemp("spark_import")
    built_by_duckdb, warehouse = published_demo[0], root / "warehouse.duckdb"
    shutil.copy(built_by_duckdb, warehouse)
    con = duckdb.connect(str(warehouse))
    try:  # every DuckDB copy the import must replace (or must leave) holds a sentinel instead
        for schema, table in [*SERVED, PERSON_LEVEL]:
            con.execute(f'create or replace table "{schema}"."{table}" as {SENTINEL}')
        con.execute("delete from meta.dbt_builds")
    finally:
        con.close()
    quiet = lambda _line: None  # noqa: E731
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAREHOUSE_ENGINE", "spark")
        mp.delenv("SPARK_WAREHOUSE_DIR", raising=False)
        target = root / "dbt_target"
        run_dbt_in_process(["seed"], warehouse=warehouse, target_path=target, log=quiet)
        # the models and the staging views they read (staging stays on Spark like intermediate)
        selected = f"1+dim_cities 1+fct_housing_problem_properties 1+{PERSON_LEVEL[1]}"
        run = run_dbt_in_process(["run", "--select", selected], warehouse=warehouse, target_path=target, log=quiet)
        spark = engine.spark_session(warehouse)
        yield built_by_duckdb, warehouse, spark, run
        _stop_spark(spark)


def test_served_tables_replaced_with_sparks_rows_and_duckdb_types(imported):
    built_by_duckdb, warehouse, spark, run = imported
    assert run.engine_import_s > 0
    for schema, table in SERVED:
        columns = _columns(warehouse, schema, table)
        # the types of a DuckDB build of the same model (the sentinel column is gone)
        assert columns == _columns(built_by_duckdb, schema, table), f"{schema}.{table}"
        rows = _all_rows(warehouse, schema, table)
        assert rows == _rows(spark.table(f"{schema}.{table}").collect()), f"{schema}.{table}"
        assert rows == _all_rows(built_by_duckdb, schema, table), f"{schema}.{table}"


def test_person_level_tables_stay_on_spark(imported, tmp_path):
    from warehouse.spark_import import SparkImportError, built_tables, import_tables

    _, warehouse, spark, _ = imported
    schema, table = PERSON_LEVEL
    assert spark.catalog.tableExists(f"{schema}.{table}")  # built on Spark (no reform in this world: 0 rows) ...
    assert _columns(warehouse, schema, table) == [("sentinel", "VARCHAR")]  # ... never imported
    # the run's own record names it, the import's choice does not
    target = warehouse.parent / "dbt_target"
    assert (schema, table) not in built_tables(target)
    assert ("marts", "dim_cities") in built_tables(target)
    for refused in (PERSON_LEVEL, ("staging", "stg_meldewesen__events")):
        with pytest.raises(SparkImportError, match="never imported"):
            import_tables(warehouse, [refused])


def test_build_records_merged_one_row_per_invocation(imported):
    _, warehouse, _, run = imported
    results = json.loads((warehouse.parent / "dbt_target" / "run_results.json").read_text())
    invocation = results["metadata"]["invocation_id"]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        builds = con.execute("select invocation_id, status, finished_at from meta.dbt_builds").fetchall()
        runs = con.execute(
            "select mode, reason, periods from meta.dbt_increment_runs where model = 'marts.fct_housing_problem_properties'"
        ).fetchall()
        increment_types = dict(
            con.execute("select column_name, column_type from (describe meta.dbt_increment_runs)").fetchall()
        )
    finally:
        con.close()
    # Spark appended a 'running' and a final row; DuckDB holds the final one (the run; seeds write none)
    assert len(builds) == 1 and builds[0][1] == "complete" and builds[0][2] is not None
    assert builds[0][0] == invocation
    assert ("full", "spark: full rebuild", None) in runs
    assert increment_types["periods"] == "VARCHAR[]" and increment_types["cities"] == "VARCHAR[]"


def test_missing_served_table_fails_and_writes_nothing(imported):
    from warehouse.spark_import import SparkImportError, import_tables

    _, warehouse, _, _ = imported
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"create or replace table reference.sexes as {SENTINEL}")
    finally:
        con.close()
    with pytest.raises(SparkImportError, match="marts.fct_not_built_on_spark"):
        import_tables(warehouse, [("reference", "sexes"), ("marts", "fct_not_built_on_spark")])
    # the table Spark does hold was not imported either: all or nothing
    assert _columns(warehouse, "reference", "sexes") == [("sentinel", "VARCHAR")]
    import_tables(warehouse, [("reference", "sexes")])
    assert _columns(warehouse, "reference", "sexes") != [("sentinel", "VARCHAR")]
