"""Validation against the demo world's truth: coverage of the 95 % intervals and relative error
per method and quantity, over every stratum with enough data.

The truth (`truth.parquet` of `python -m ingest.demo`) counts residents, registered people who
have left (`registered_gone`) and unregistered residents per city x quarter end x district x
group x age band; it is summed over districts here. Only this module reads it - the pipeline
never does.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl

from ingest.config import REPO_ROOT

MIN_REGISTERED = 30       # strata with fewer registered persons are not scored ("enough data")
MIN_TRUTH_FOR_RELATIVE = 5  # relative errors only where the true count is at least this
QUANTITY_TRUTH = {"residents": "residents", "unregistered": "resident_unregistered",
                  "registered_gone": "registered_gone"}


def build_warehouse(landing: Path, warehouse: Path) -> None:
    """Load the landing folder and build the estimates (ingest + dbt), as the pipeline would."""
    from ingest.load import load_landing

    load_landing(landing, warehouse)
    env = {**os.environ, "WAREHOUSE_DUCKDB_PATH": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).parent / "dbt"
    project = REPO_ROOT / "dbt_project"
    cmd = [str(dbt), "build", "--project-dir", str(project), "--profiles-dir", str(project),
           "--select", "+fct_dunkelziffer_recommended", "--indirect-selection", "cautious"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        # Tests of upstream models may fail without touching the estimates; the mart must exist.
        print(done.stdout[-3000:], file=sys.stderr)


def read_estimates(warehouse: Path) -> pl.DataFrame:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        exists = con.execute("""select count(*) from information_schema.tables
                                where table_schema = 'marts' and table_name = 'fct_dunkelziffer_estimates'""").fetchone()[0]
        if exists:
            return con.execute("select * from marts.fct_dunkelziffer_estimates").pl()
        from estimation.warehouse import estimate_all   # staging only: estimate here
        return estimate_all(con)
    finally:
        con.close()


def read_truth(truth_dir: Path) -> pl.DataFrame:
    t = pl.read_parquet(Path(truth_dir) / "truth.parquet")
    return t.group_by("city", "stichtag", "nationality_group", "age_band").agg(
        pl.col("residents", "registered", "registered_gone", "resident_unregistered").sum())


def score(estimates: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """One row per estimate with its true value, whether the interval covers it, and the error."""
    long = truth.unpivot(index=["city", "stichtag", "nationality_group", "age_band", "registered"],
                         on=list(QUANTITY_TRUTH.values()), variable_name="truth_col", value_name="truth")
    long = long.with_columns(pl.col("truth_col").replace({v: k for k, v in QUANTITY_TRUTH.items()}).alias("quantity"))
    est = estimates.filter(pl.col("district") == "ALLE").drop("registered")
    j = est.join(long.drop("truth_col").rename({"registered": "registered_true"}),
                 on=["city", "stichtag", "nationality_group", "age_band", "quantity"], how="inner")
    return j.with_columns(
        covered=(pl.col("lower") <= pl.col("truth")) & (pl.col("truth") <= pl.col("upper").fill_null(float("inf"))),
        error=pl.col("point") - pl.col("truth"),
        rel_error=pl.when(pl.col("truth") >= MIN_TRUTH_FOR_RELATIVE)
        .then(pl.col("point") / pl.col("truth") - 1).otherwise(None),
    )


def summarise(scored: pl.DataFrame) -> pl.DataFrame:
    enough = scored.filter((pl.col("registered_true") >= MIN_REGISTERED) & pl.col("point").is_not_null())
    return (enough.group_by("quantity", "method").agg(
        strata=pl.len(), coverage=pl.col("covered").mean(), mean_error=pl.col("error").mean(),
        mean_abs_error=pl.col("error").abs().mean(), mean_rel_error=pl.col("rel_error").mean(),
        mean_truth=pl.col("truth").mean(), valid_share=pl.col("valid").mean())
        .sort("quantity", "method"))


def validate(landing: str | Path, truth: str | Path, warehouse: str | Path, build: bool = True) -> dict:
    """Build (optionally), estimate, compare with the truth. Returns figures for the benchmark."""
    warehouse = Path(warehouse)
    if build:
        build_warehouse(Path(landing), warehouse)
    scored = score(read_estimates(warehouse), read_truth(Path(truth)))
    by_method = summarise(scored)
    rec = summarise(scored.filter("recommended").with_columns(pl.lit("recommended").alias("method")))
    return {
        "strata_scored": int(scored.filter(pl.col("registered_true") >= MIN_REGISTERED)
                             .select("city", "nationality_group", "age_band").unique().height),
        "by_method": by_method.to_dicts(),
        "recommended": rec.to_dicts(),
        "reference_dates": sorted({f"{c} {d}" for c, d in scored.select("city", "stichtag").unique().iter_rows()}),
    }


def print_report(result: dict) -> None:
    print(f"strata scored (>= {MIN_REGISTERED} registered): {result['strata_scored']}; "
          f"reference dates: {', '.join(result['reference_dates'])}")
    with pl.Config(tbl_rows=60, tbl_cols=-1, tbl_width_chars=250, tbl_hide_dataframe_shape=True, float_precision=3):
        print("\nper method (coverage of the 95 % interval; errors = estimate - truth):")
        print(pl.DataFrame(result["by_method"]))
        print("\nrecommended method per stratum:")
        print(pl.DataFrame(result["recommended"]))
