"""Where the mart suites read the relations they check: the engine dbt built them on.

WAREHOUSE_ENGINE=duckdb (default): the DuckDB warehouse, read into a pandas frame, as always.
WAREHOUSE_ENGINE=spark: the Spark catalog of the warehouse's Spark side (warehouse.engine), read
as a Spark DataFrame that GX validates on its Spark datasource - the marts are not copied out
of Spark to be checked. Results and gate rows go to DuckDB's meta schema on both engines (the
gate is a raw-layer table, exported to Spark before each dbt run).

A source answers three questions: does the relation exist, its rows (with the suite's `where`),
and the distinct (city, period) keys of those rows, which every check reports on. GX's Spark
datasource persists a frame while it validates it; quality.gx_engine unpersists it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from quality.suites import SuiteError
from warehouse import engine


class DuckDBMarts:
    engine = "duckdb"
    where = ""  # said after "relation ... does not exist"; DuckDB's text as it always was

    def __init__(self, con):
        self.con = con

    def exists(self, relation: str) -> bool:
        schema, _, table = relation.partition(".")
        return bool(
            self.con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [schema, table],
            ).fetchone()[0]
        )

    def frame(self, relation: str, where: str | None):
        return self.con.execute(f"SELECT * FROM {relation}{f' WHERE {where}' if where else ''}").df()

    def keys(self, frame, city_col: str, period_col: str) -> set[tuple]:
        return set(zip(frame[city_col], frame[period_col]))


class SparkMarts:
    engine = "spark"
    where = " in the Spark catalog"

    def __init__(self, spark):
        self.spark = spark

    def exists(self, relation: str) -> bool:
        return bool(self.spark.catalog.tableExists(relation))

    def frame(self, relation: str, where: str | None):
        # Spark reads lazily: a table whose files are gone fails here or in GX (an error outcome)
        frame = self.spark.table(relation)
        return frame.where(where) if where else frame

    def keys(self, frame, city_col: str, period_col: str) -> set[tuple]:
        try:
            return {(r[0], r[1]) for r in frame.select(city_col, period_col).distinct().collect()}
        except Exception as exc:  # py4j and pyspark raise several types; the check must not pass
            raise SuiteError(f"could not read the rows: {str(exc).splitlines()[0][:300]}") from exc


@contextlib.contextmanager
def mart_source(con, warehouse: str | Path | None = None):
    """The source of the engine the switch names; on Spark the session is the running one or a
    new one stopped at the end (engine.spark_session_scope)."""
    if not engine.is_spark():
        yield DuckDBMarts(con)
        return
    with engine.spark_session_scope(warehouse) as spark:
        yield SparkMarts(spark)
