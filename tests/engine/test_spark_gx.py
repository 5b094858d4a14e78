"""The mart suites on Spark (WAREHOUSE_ENGINE=spark): the same suite files validate a Spark
DataFrame read from the Spark catalog (GX's Spark datasource) and give the same outcomes,
failing rows by city and period, recorded results and gate rows as the pandas path on the same
data in DuckDB - including failing expectations (the bad case) - and a mart missing from the
Spark catalog fails its checks even when DuckDB holds it. Really runs Spark: a missing pyspark
fails (make spark); a missing Java fails too. One JVM for the module, stopped at the end."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from engine.spark_env import require_spark

pytestmark = [pytest.mark.spark, pytest.mark.slow]

MODELS = ["fct_fluctuation", "fct_exchange_cells"]

# quarters are checked (the suite's `where`); the month row's negative inflows must not count.
# The rate is a DECIMAL: Spark hands it to GX as Decimal, DuckDB's pandas frame as float.
FLUCTUATION = """CREATE TABLE marts.fct_fluctuation AS
    SELECT * REPLACE (CAST(rate_gross_per_1000 AS DECIMAL(9, 2)) AS rate_gross_per_1000) FROM (VALUES
    ('wuppertal', 'quarter', '2024-Q1', '01', 'INSGESAMT', 30, 20, 5, 4, 9, 'register', 12.0),
    ('wuppertal', 'quarter', '2024-Q2', '01', 'INSGESAMT', 31, 21, 5, 4, 9, 'register', 12.5),
    ('enschede', 'quarter', '2024-Q1', '01', 'INSGESAMT', -4, 20, 5, 4, 9, 'register', 12.0),
    ('enschede', 'quarter', '2024-Q1', '02', 'INSGESAMT', 7, 20, 5, 4, 9, 'register', 1200.5),
    ('enschede', 'quarter', '2024-Q2', NULL, 'INSGESAMT', 7, 20, 5, 4, 9, 'register', 11.0),
    ('enschede', 'month', '2024-01', '01', 'INSGESAMT', -1, 20, 5, 4, 9, 'register', 12.0))
    v(city, period_type, period_key, district_code, nationality_group, inflows, outflows, births, deaths,
      moves_within, basis, rate_gross_per_1000)"""

EXCHANGE_CELLS = """CREATE TABLE exchange.fct_exchange_cells AS SELECT
    city, period, indicator_id, basis, breakdown, group_value,
    CAST(numerator AS BIGINT) AS numerator, CAST(denominator AS BIGINT) AS denominator,
    CAST(ci_lower AS DOUBLE) AS ci_lower, CAST(ci_upper AS DOUBLE) AS ci_upper, is_suppressed
    FROM (VALUES
    ('wuppertal', '2024-Q1', 'inflow_rate', 'register', 'total', 'INSGESAMT', 10, 100, 0.05, 0.15, false),
    ('wuppertal', '2024-Q1', 'inflow_rate', 'register', 'nationality', 'DE', NULL, NULL, NULL, NULL, true),
    ('wuppertal', '2024-Q2', 'inflow_rate', 'register', 'total', 'INSGESAMT', 12, 100, 0.07, 0.17, false),
    ('enschede', '2024-Q1', 'inflow_rate', 'register', 'total', 'INSGESAMT', 2, 100, 0.01, 0.04, false),
    ('enschede', '2024-Q2', 'inflow_rate', 'register', 'total', 'INSGESAMT', 9, 100, 0.12, 0.03, false),
    ('enschede', '2024-Q2', 'inflow_rate', 'register', 'total', 'INSGESAMT', 9, 100, 0.05, 0.12, false),
    ('enschede', '2024Q3', 'inflow_rate', 'register', 'total', 'INSGESAMT', 9, 100, 0.05, 0.12, false))
    v(city, period, indicator_id, basis, breakdown, group_value, numerator, denominator, ci_lower, ci_upper,
      is_suppressed)"""

# held by DuckDB only: on Spark the suite must not pass by reading DuckDB's copy
INTERCITY = """CREATE TABLE alliance.fct_intercity_indicators AS SELECT * FROM (VALUES
    ('wuppertal', '2024-Q1', 'inflow_rate', 'register', CAST(10 AS BIGINT), CAST(100 AS BIGINT), 0.05, 0.15))
    v(city, period, indicator_id, basis, numerator, denominator, ci_lower, ci_upper)"""


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    """(DuckDB warehouse, the Spark side's warehouse, Spark session): the same marts in both,
    copied into Spark through Parquet as dbt-spark would store them (types kept, NULL kept)."""
    require_spark()

    from ingest.schemas import create_meta_tables
    from warehouse import engine

    root = tmp_path_factory.mktemp("spark_gx")
    duck, spark_wh = root / "duck.duckdb", root / "spark.duckdb"
    con = duckdb.connect(str(duck))
    try:
        create_meta_tables(con)
        for schema in ("marts", "exchange", "alliance"):
            con.execute(f"CREATE SCHEMA {schema}")
        for statement in (FLUCTUATION, EXCHANGE_CELLS, INTERCITY):
            con.execute(statement)
        for relation in ("marts.fct_fluctuation", "exchange.fct_exchange_cells"):
            con.execute(f"COPY {relation} TO '{root / relation}.parquet' (FORMAT parquet)")
    finally:
        con.close()
    shutil.copy(duck, spark_wh)  # the loader's file of the Spark run: meta tables, gate, results
    spark = engine.spark_session(spark_wh)
    for relation in ("marts.fct_fluctuation", "exchange.fct_exchange_cells"):
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {relation.split('.')[0]}")
        spark.read.parquet(f"{root / relation}.parquet").write.saveAsTable(relation)
    yield duck, spark_wh, spark
    engine.stop_spark(spark)


@pytest.fixture(scope="module")
def both(worlds):
    """The mart checks of the same marts, once through each engine (results, recorded rows, gate)."""
    from quality import run_mart_checks

    duck, spark_wh, spark = worlds
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        for name, path in (("duckdb", duck), ("spark", spark_wh)):
            mp.setenv("WAREHOUSE_ENGINE", name)
            results = run_mart_checks(path, MODELS + ["fct_intercity_indicators"])
            out[name] = (results, _recorded(path), _gate(path))
    return out


def _recorded(path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT city, asset, period, check_name, severity, outcome, failed_rows, observed, details "
            "FROM meta.quality_results ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


def _gate(path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT city, source, form, period, check_name, reason FROM meta.quality_gate ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


def _outcomes(results, asset: str) -> list[tuple]:
    return sorted(
        (r.check_name, r.city, r.period, r.severity, r.outcome, r.failed_rows, r.observed, r.details, repr(r.examples))
        for r in results
        if r.asset == asset
    )


@pytest.mark.parametrize("model", MODELS)
def test_mart_suite_on_spark_gives_the_same_outcomes(both, model):
    duck, spark = _outcomes(both["duckdb"][0], model), _outcomes(both["spark"][0], model)
    assert duck and any(o[4] == "failed" for o in duck)  # a comparison that includes failures
    assert [o for o in spark if o not in duck] == [o for o in duck if o not in spark]


def test_failing_rows_are_attributed_to_city_and_period_on_spark(both):
    results = both["spark"][0]
    failed = {(r.check_name, r.city, r.period, r.failed_rows) for r in results if r.outcome == "failed"}
    assert failed == {
        ("mart.fct_fluctuation.inflows_not_negative", "enschede", "2024-Q1", 1),  # not the month row
        ("mart.fct_fluctuation.district_code_present", "enschede", "2024-Q2", 1),
        ("mart.fct_fluctuation.rate_gross_plausible", "enschede", "2024-Q1", 1),  # a warning
        ("mart.fct_exchange_cells.no_small_numerators", "enschede", "2024-Q1", 1),
        ("mart.fct_exchange_cells.interval_ordered", "enschede", "2024-Q2", 1),
        ("mart.fct_exchange_cells.one_row_per_cell", "enschede", "2024-Q2", 2),
        ("mart.fct_exchange_cells.period_is_quarter", "enschede", "2024Q3", 1),
    }
    # the other city-periods of the same checks pass: a failure blocks only its own
    assert all(r.outcome == "passed" for r in results if r.city == "wuppertal")


def test_recorded_results_and_gate_rows_are_the_same(both):
    mart_rows = lambda rows: [r for r in rows if r[1] in MODELS]  # noqa: E731
    duck_gate, spark_gate = mart_rows(both["duckdb"][2]), mart_rows(both["spark"][2])
    assert {g[:4] for g in spark_gate} == {
        ("enschede", "fct_fluctuation", "", "2024-Q1"),
        ("enschede", "fct_fluctuation", "", "2024-Q2"),
        ("enschede", "fct_exchange_cells", "", "2024-Q1"),
        ("enschede", "fct_exchange_cells", "", "2024-Q2"),
        ("enschede", "fct_exchange_cells", "", "2024Q3"),
    }
    assert spark_gate == duck_gate
    assert mart_rows(both["duckdb"][1]) and mart_rows(both["spark"][1]) == mart_rows(both["duckdb"][1])


def test_a_mart_missing_on_spark_fails_its_checks(both):
    duck = [r for r in both["duckdb"][0] if r.asset == "fct_intercity_indicators"]
    spark = [r for r in both["spark"][0] if r.asset == "fct_intercity_indicators"]
    assert duck and all(r.outcome == "passed" for r in duck)  # DuckDB's copy is fine ...
    assert len(spark) == 1 and spark[0].outcome == "error" and spark[0].blocking  # ... Spark has none
    assert "does not exist in the Spark catalog" in spark[0].details


def test_the_running_session_is_reused_not_stopped(worlds, both):
    _, _, spark = worlds
    assert spark.sparkContext._jsc is not None and spark.range(1).count() == 1
