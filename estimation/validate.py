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
from warehouse.vocabulary import WHOLE

MIN_REGISTERED = 30  # strata with fewer registered persons are not scored ("enough data")
MIN_TRUTH_FOR_RELATIVE = 5  # relative errors only where the true count is at least this
QUANTITY_TRUTH = {
    "residents": "residents",
    "unregistered": "resident_unregistered",
    "registered_gone": "registered_gone",
}


def build_warehouse(landing: Path, warehouse: Path) -> None:
    """Load the landing folder and build the estimates (ingest + dbt), as the pipeline would."""
    from ingest.load import load_landing

    load_landing(landing, warehouse)
    env = {**os.environ, "WAREHOUSE_DUCKDB_PATH": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).parent / "dbt"
    project = REPO_ROOT / "dbt_project"
    cmd = [
        str(dbt),
        "build",
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--select",
        "+fct_dunkelziffer_recommended",
        "--indirect-selection",
        "cautious",
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        # Tests of upstream models may fail without touching the estimates; the mart must exist.
        print(done.stdout[-3000:], file=sys.stderr)


def read_estimates(warehouse: Path, recompute: bool = False) -> pl.DataFrame:
    """The mart's rows; with `recompute` (or without the mart) estimated afresh from staging."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        exists = con.execute("""select count(*) from information_schema.tables
                                where table_schema = 'marts' and table_name = 'fct_dunkelziffer_estimates'""").fetchone()[
            0
        ]
        if exists and not recompute:
            return con.execute("select * from marts.fct_dunkelziffer_estimates").pl()
        from estimation.warehouse import estimate_all  # staging only: estimate here

        return estimate_all(con)
    finally:
        con.close()


def read_truth(truth_dir: Path, by_district: bool = False) -> pl.DataFrame:
    """City-wide truth per group x age band, or (by_district) per district x group, all ages."""
    t = pl.read_parquet(Path(truth_dir) / "truth.parquet")
    counts = pl.col("residents", "registered", "registered_gone", "resident_unregistered").sum()
    if by_district:
        return (
            t.group_by("city", "stichtag", "bezirk", "nationality_group")
            .agg(counts)
            .rename({"bezirk": "district"})
            .with_columns(age_band=pl.lit(WHOLE))
        )
    return t.group_by("city", "stichtag", "nationality_group", "age_band").agg(counts)


def score(estimates: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """One row per estimate with its true value, whether the interval covers it, and the error.
    City-wide strata (district INSGESAMT) against city-wide truth; district strata when the truth
    has a `district` column."""
    keys = ["city", "stichtag", "nationality_group", "age_band"] + (["district"] if "district" in truth.columns else [])
    long = truth.unpivot(
        index=keys + ["registered"], on=list(QUANTITY_TRUTH.values()), variable_name="truth_col", value_name="truth"
    )
    long = long.with_columns(pl.col("truth_col").replace({v: k for k, v in QUANTITY_TRUTH.items()}).alias("quantity"))
    if "district" in truth.columns:
        est = estimates.filter(~pl.col("district").is_in([WHOLE, "PROBLEMIMMOBILIEN"])).drop("registered")
    else:
        est = estimates.filter(pl.col("district") == WHOLE).drop("registered")
    j = est.join(long.drop("truth_col").rename({"registered": "registered_true"}), on=keys + ["quantity"], how="inner")
    return j.with_columns(
        covered=(pl.col("lower") <= pl.col("truth")) & (pl.col("truth") <= pl.col("upper").fill_null(float("inf"))),
        error=pl.col("point") - pl.col("truth"),
        rel_error=pl.when(pl.col("truth") >= MIN_TRUTH_FOR_RELATIVE)
        .then(pl.col("point") / pl.col("truth") - 1)
        .otherwise(None),
    )


def summarise(scored: pl.DataFrame) -> pl.DataFrame:
    enough = scored.filter((pl.col("registered_true") >= MIN_REGISTERED) & pl.col("point").is_not_null())
    return (
        enough.group_by("quantity", "method")
        .agg(
            strata=pl.len(),
            coverage=pl.col("covered").mean(),
            mean_error=pl.col("error").mean(),
            mean_abs_error=pl.col("error").abs().mean(),
            mean_rel_error=pl.col("rel_error").mean(),
            mean_truth=pl.col("truth").mean(),
            valid_share=pl.col("valid").mean(),
        )
        .sort("quantity", "method")
    )


def validate(
    landing: str | Path, truth: str | Path, warehouse: str | Path, build: bool = True, recompute: bool = False
) -> dict:
    """Build (optionally), estimate, compare with the truth. Returns figures for the benchmark.

    `recompute`: estimate afresh from the staging models instead of reading the mart.
    """
    warehouse = Path(warehouse)
    if build:
        build_warehouse(Path(landing), warehouse)
    estimates = read_estimates(warehouse, recompute=recompute)
    scored = score(estimates, read_truth(Path(truth)))
    by_method = summarise(scored)
    rec = summarise(scored.filter("recommended").with_columns(pl.lit("recommended").alias("method")))
    districts = score(estimates, read_truth(Path(truth), by_district=True))
    enough = districts.filter(pl.col("valid"))
    return {
        "strata_scored": int(
            scored.filter(pl.col("registered_true") >= MIN_REGISTERED)
            .select("city", "nationality_group", "age_band")
            .unique()
            .height
        ),
        "cities": sorted(set(scored["city"])),
        "by_method": by_method.to_dicts(),
        "recommended": rec.to_dicts(),
        "by_method_per_city": summarise(
            scored.filter("recommended").with_columns(pl.col("city").alias("method"))
        ).to_dicts(),
        "districts_valid": summarise(enough.filter("recommended")).to_dicts(),
        "districts_flagged": summarise(districts.filter(~pl.col("valid") & pl.col("recommended"))).to_dicts(),
        "consistency": consistency(estimates),
        "inspections": inspection_check(estimates, Path(truth)),
        "reference_dates": sorted({f"{c} {d}" for c, d in scored.select("city", "stichtag").unique().iter_rows()}),
    }


def consistency(estimates: pl.DataFrame) -> dict:
    """Recommended residents = registered - gone + unregistered in every stratum (max deviation)."""
    rec = estimates.filter("recommended").pivot(
        on="quantity",
        index=["city", "stichtag", "nationality_group", "age_band", "district", "registered"],
        values="point",
        aggregate_function="first",
    )
    need = {"residents", "registered_gone", "unregistered"}
    if not need <= set(rec.columns):
        return {"strata": 0, "complete": 0, "max_abs_deviation": None}
    complete = rec.drop_nulls(list(need))
    dev = (
        complete["residents"] - (complete["registered"] - complete["registered_gone"] + complete["unregistered"])
    ).abs()
    return {
        "strata": rec.height,
        "complete": complete.height,
        "max_abs_deviation": float(dev.max()) if complete.height else None,
    }


def inspection_check(estimates: pl.DataFrame, truth_dir: Path) -> list[dict]:
    """Not-found share of the inspected problem properties vs the truly gone share at them
    (same year's inspections, latest per property). A bias check, not a coverage figure."""
    path = truth_dir / "truth_inspections.parquet"
    rows = estimates.filter((pl.col("method") == "inspection_ratio") & (pl.col("quantity") == "registered_gone"))
    if not path.exists() or rows.is_empty():
        return []
    import json

    truth = pl.read_parquet(path)
    out = []
    for r in rows.iter_rows(named=True):
        inputs = json.loads(r["inputs"])
        year = int(inputs["inspection_file"][:4])
        # the file of year Y holds each property's latest inspection up to 31 Dec Y
        t = (
            truth.filter((pl.col("city") == r["city"]) & (pl.col("date").dt.year() <= year))
            .sort("date")
            .group_by("property")
            .last()
        )
        reg = float(t["registered"].sum())
        out.append(
            {
                "city": r["city"],
                "year": year,
                "inspected_registered": reg,
                "not_found_share": inputs["share"],
                "share_se": inputs.get("share_se"),
                "true_gone_share": float((t["registered"] - t["registered_present"]).sum()) / reg if reg else None,
            }
        )
    return out


def print_report(result: dict) -> None:
    print(f"cities: {', '.join(result.get('cities', []))}")
    print(
        f"strata scored (>= {MIN_REGISTERED} registered): {result['strata_scored']}; "
        f"reference dates: {', '.join(result['reference_dates'])}"
    )
    with pl.Config(tbl_rows=80, tbl_cols=-1, tbl_width_chars=250, tbl_hide_dataframe_shape=True, float_precision=3):
        print("\nper method (coverage of the 95 % interval; errors = estimate - truth):")
        print(pl.DataFrame(result["by_method"]))
        print("\nrecommended method per stratum:")
        print(pl.DataFrame(result["recommended"]))
        if result.get("by_method_per_city"):
            print("\nrecommended, per city (column `method` holds the city):")
            print(pl.DataFrame(result["by_method_per_city"]))
        for key, title in (
            ("districts_valid", "district strata, recommended, enough children (valid)"),
            ("districts_flagged", "district strata, recommended, flagged (too few children)"),
        ):
            if result.get(key):
                # split by `valid`, so valid_share is 1 or 0 by construction: left out
                print(f"\n{title}:")
                print(pl.DataFrame(result[key]).drop("valid_share", strict=False))
        if result.get("inspections"):
            print("\nproblem-property inspections: not-found share vs truly gone share (bias check):")
            print(pl.DataFrame(result["inspections"]))
    c = result.get("consistency") or {}
    print(
        f"\nresidents = registered - gone + unregistered (recommended): {c.get('complete')} of "
        f"{c.get('strata')} strata complete, max deviation {c.get('max_abs_deviation')}"
    )
