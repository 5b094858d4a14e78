"""GX on a Spark DataFrame (WAREHOUSE_ENGINE=spark: the marts are Spark tables): the Spark
datasource of the shared context, and what makes its results the same as the pandas path's.

GX's Spark engine differs from its pandas engine in two ways that reach our results:
- it does not average a boolean column (pandas counts True as 1): the share of suppressed
  exchange cells came back as no value, a failed check;
- it lists an unexpected row's index columns first, pandas the expectation's first column
  first: the order shows in the examples recorded in meta.quality_results.
Imports no Spark: the frame comes from the caller's session.
"""

from __future__ import annotations

from quality.suites import Suite

# column aggregates that pandas computes on a boolean column and GX's Spark engine does not
NUMERIC_AGGREGATES = {
    "expect_column_mean_to_be_between",
    "expect_column_median_to_be_between",
    "expect_column_sum_to_be_between",
    "expect_column_stdev_to_be_between",
    "expect_column_quantile_values_to_be_between",
}


def is_spark_frame(frame) -> bool:
    """A pyspark DataFrame (classic or Connect), told without importing pyspark."""
    return type(frame).__module__.startswith("pyspark.")


def batch_definition(context):
    """A whole-dataframe batch definition on a Spark datasource of `context`. GX reuses the
    running Spark session (force_reuse_spark_context), the one whose catalog holds the marts,
    and persists each frame while its expectations run (the caller unpersists it)."""
    asset = context.data_sources.add_spark("quality_spark").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def averageable_booleans(frame, suite: Suite):
    """The frame with each boolean column that a numeric aggregate of the suite reads as 0/1
    integers, as pandas counts it; the other columns, and so the other expectations, see the
    frame as it is."""
    wanted = {e["kwargs"].get("column") for e in suite.expectations if e["type"] in NUMERIC_AGGREGATES}
    booleans = [f.name for f in frame.schema.fields if f.name in wanted and f.dataType.typeName() == "boolean"]
    return frame.withColumns({c: frame[c].cast("int") for c in booleans}) if booleans else frame


def in_pandas_order(example: dict, spec: dict, index_columns: list[str]) -> dict:
    """An example's columns in the order GX's pandas engine gives them: the first domain column,
    the index columns, the other domain columns (then anything else, as it came)."""
    kwargs = spec.get("kwargs", {})
    domain = kwargs.get("column_list") or [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    order = list(dict.fromkeys(domain[:1] + index_columns + domain[1:]))
    return {k: example[k] for k in order if k in example} | {k: v for k, v in example.items() if k not in order}
