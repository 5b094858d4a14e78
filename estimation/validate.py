"""Validation of the Dunkelziffer estimates against a world's truth: coverage of the 95 %
intervals, bias and interval width per method and quantity, over every stratum with enough data.

Any generator can be scored: the truth comes in the generator-independent format below
(estimation/METHODS.md, "Validation on any world"), one row per stratum as the warehouse defines
it, and the world is the landing folder of its deliveries. Only this module reads the truth - the
pipeline never does. The family of worlds that breaks one assumption at a time is
estimation/family.py.

Truth (`truth_strata.parquet` or `truth_strata.csv`, or the path of such a file):

| column | meaning |
|---|---|
| `city` | city slug, as the landing folder names it |
| `stichtag` | the day the counts refer to (a row per reference date; others are ignored) |
| `district` | `INSGESAMT` = the whole city, else a register district code |
| `nationality_group` | DE (NL in a Dutch city), EU2, EU_SONST, ASYL8, DRITT_SONST |
| `age_band` | a standard band (age = year(stichtag) - birth year), or `INSGESAMT` for all ages |
| `residents` | people truly living there |
| `registered` | people the register lists there (the rows of `bestand` on that day) |
| `registered_gone` | registered but no longer living in the city |
| `unregistered` | living there without a main-residence registration |

Whole-city rows are group x band (`district` INSGESAMT), district rows group x all ages
(`age_band` INSGESAMT). An optional `world.json` beside it describes the world (name, generator,
assumptions) and is printed with the scores.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from warehouse.vocabulary import WHOLE

MIN_REGISTERED = 30  # strata with fewer registered persons are not scored ("enough data")
MIN_TRUTH_FOR_RELATIVE = 5  # relative errors only where the true count is at least this
QUANTITIES = ("residents", "unregistered", "registered_gone")
TRUTH_FILES = ("truth_strata.parquet", "truth_strata.csv")
TRUTH_KEYS = ["city", "stichtag", "district", "nationality_group", "age_band"]
TRUTH_SCHEMA = {
    "city": pl.String,
    "stichtag": pl.Date,
    "district": pl.String,
    "nationality_group": pl.String,
    "age_band": pl.String,
    "residents": pl.Float64,
    "registered": pl.Float64,
    "registered_gone": pl.Float64,
    "unregistered": pl.Float64,
}


def build_warehouse(landing: Path, warehouse: Path, *, with_tests: bool = True, timings: dict | None = None) -> None:
    """Load the landing folder and build the estimates as the pipeline does, by running it: the
    Dagster definitions (orchestration.pipeline) for everything upstream of the recommended
    estimates for the cities of the landing folder. With tests: the raw assets with their checks
    and the dbt models with their tests; `with_tests=False` (the validation family: dozens of
    worlds) leaves the checks and tests out. A failing step or test fails the validation."""
    import time

    import dagster as dg

    from ingest.config import load_cities
    from orchestration.pipeline import run_pipeline
    from orchestration.resources import WarehouseResource

    cities = [c for c in sorted(load_cities()) if (Path(landing) / c).is_dir()]
    if not cities:
        raise FileNotFoundError(f"no city deliveries in {landing}")
    resource = WarehouseResource(database=str(warehouse), landing_dir=str(landing))
    selection = dg.AssetSelection.assets(dg.AssetKey("fct_dunkelziffer_recommended")).upstream()
    if not with_tests:
        selection = selection.without_checks()
    t0 = time.perf_counter()
    run_pipeline(
        selection, cities=cities, resources={"warehouse": resource}, log=print if with_tests else lambda _m: None
    )
    if timings is not None:
        timings["build_s"] = round(time.perf_counter() - t0, 1)


def read_estimates(warehouse: Path, recompute: bool = False) -> pl.DataFrame:
    """The mart's rows; with `recompute` (or without the mart) estimated afresh from staging."""
    from warehouse.db import connect

    con = connect(warehouse, read_only=True)
    try:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            ["marts", "fct_dunkelziffer_estimates"],
        ).fetchone()[0]
        if exists and not recompute:
            return con.execute("select * from marts.fct_dunkelziffer_estimates").pl()
        from estimation.warehouse import estimate_all  # staging only: estimate here

        return estimate_all(con)
    finally:
        con.close()


def truth_file(path: str | Path) -> Path:
    """The truth file itself, or the one of TRUTH_FILES in the folder `path`."""
    path = Path(path)
    if path.is_file():
        return path
    for name in TRUTH_FILES:
        if (path / name).is_file():
            return path / name
    raise FileNotFoundError(
        f"no truth in {path}: expected {' or '.join(TRUTH_FILES)} (format: estimation/METHODS.md, "
        "'Validation on any world')"
    )


def read_truth(path: str | Path) -> pl.DataFrame:
    """The truth table, checked: the columns above, counts >= 0, gone <= registered, one row per
    stratum and day. Raises ValueError with the reason when it is not usable."""
    f = truth_file(path)
    raw = pl.read_csv(f, try_parse_dates=True) if f.suffix == ".csv" else pl.read_parquet(f)
    missing = [c for c in TRUTH_SCHEMA if c not in raw.columns]
    if missing:
        raise ValueError(f"{f}: truth columns missing: {missing} (format: estimation/METHODS.md)")
    t = raw.select([pl.col(c).cast(dt) for c, dt in TRUTH_SCHEMA.items()])
    counts = ["residents", "registered", "registered_gone", "unregistered"]
    bad = t.filter(pl.any_horizontal(pl.col(c).is_null() | (pl.col(c) < 0) for c in counts))
    if bad.height:
        raise ValueError(f"{f}: {bad.height} rows with a missing or negative count, e.g. {bad.row(0, named=True)}")
    over = t.filter(pl.col("registered_gone") > pl.col("registered"))
    if over.height:
        raise ValueError(f"{f}: {over.height} rows with more gone than registered, e.g. {over.row(0, named=True)}")
    dup = t.group_by(TRUTH_KEYS).len().filter(pl.col("len") > 1)
    if dup.height:
        raise ValueError(f"{f}: {dup.height} strata appear more than once, e.g. {dup.row(0, named=True)}")
    return t


def read_world(path: str | Path | None) -> dict:
    """The world description (world.json beside the truth, or the file given); {} when absent."""
    if path is None:
        return {}
    p = Path(path)
    p = p if p.suffix == ".json" else (p if p.is_dir() else p.parent) / "world.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}


def score(estimates: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """One row per estimate with its true value, whether the interval covers it, the error and
    the interval's width. Strata are matched on city, day, district, group and band: whole-city
    rows (district INSGESAMT) against whole-city truth, district rows against district truth;
    the problem-property rows have no truth."""
    long = truth.unpivot(
        index=TRUTH_KEYS + ["registered"], on=list(QUANTITIES), variable_name="quantity", value_name="truth"
    )
    est = estimates.filter(pl.col("district") != "PROBLEMIMMOBILIEN").drop("registered")
    j = est.join(long.rename({"registered": "registered_true"}), on=TRUTH_KEYS + ["quantity"], how="inner")
    upper = pl.col("upper").fill_null(float("inf"))
    return j.with_columns(
        scope=pl.when(pl.col("district") == WHOLE).then(pl.lit("city")).otherwise(pl.lit("district")),
        covered=(pl.col("lower") <= pl.col("truth")) & (pl.col("truth") <= upper),
        error=pl.col("point") - pl.col("truth"),
        width=upper - pl.col("lower"),
        rel_error=pl.when(pl.col("truth") >= MIN_TRUTH_FOR_RELATIVE)
        .then(pl.col("point") / pl.col("truth") - 1)
        .otherwise(None),
    )


def summarise(scored: pl.DataFrame, by: tuple[str, ...] = ("quantity", "method")) -> pl.DataFrame:
    """Per group of `by`: strata scored, coverage, bias (mean error in persons and relative to the
    summed truth), mean absolute and mean relative error, interval width (median, in persons and
    relative to the truth where it is >= MIN_TRUTH_FOR_RELATIVE)."""
    enough = scored.filter((pl.col("registered_true") >= MIN_REGISTERED) & pl.col("point").is_not_null())
    return (
        enough.group_by(list(by))
        .agg(
            strata=pl.len(),
            coverage=pl.col("covered").mean(),
            mean_error=pl.col("error").mean(),
            rel_bias=pl.col("error").sum() / pl.col("truth").sum(),
            mean_abs_error=pl.col("error").abs().mean(),
            mean_rel_error=pl.col("rel_error").mean(),
            median_width=pl.col("width").median(),
            median_rel_width=(pl.col("width") / pl.col("truth"))
            .filter(pl.col("truth") >= MIN_TRUTH_FOR_RELATIVE)
            .median(),
            mean_truth=pl.col("truth").mean(),
            valid_share=pl.col("valid").mean(),
        )
        .sort(list(by))
    )


def validate(
    landing: str | Path,
    truth: str | Path,
    warehouse: str | Path,
    build: bool = True,
    recompute: bool = False,
    world: str | Path | None = None,
) -> dict:
    """Build (optionally), estimate, compare with the truth. Returns figures for the benchmark.

    `truth`: the truth file or its folder; `world`: a world.json (default: beside the truth);
    `recompute`: estimate afresh from the staging models instead of reading the mart.
    """
    warehouse = Path(warehouse)
    truth_table = read_truth(truth)
    if build:
        build_warehouse(Path(landing), warehouse)
    estimates = read_estimates(warehouse, recompute=recompute)
    return score_world(estimates, truth_table, read_world(world or truth), truth_dir=Path(truth))


def score_world(estimates: pl.DataFrame, truth: pl.DataFrame, world: dict | None = None, truth_dir=None) -> dict:
    scored = score(estimates, truth)
    city = scored.filter(pl.col("scope") == "city")
    districts = scored.filter(pl.col("scope") == "district")
    return {
        "world": world or {},
        "strata_scored": int(
            city.filter(pl.col("registered_true") >= MIN_REGISTERED)
            .select("city", "nationality_group", "age_band")
            .unique()
            .height
        ),
        "cities": sorted(set(city["city"])),
        "by_method": summarise(city).to_dicts(),
        "recommended": summarise(city.filter("recommended").with_columns(method=pl.lit("recommended"))).to_dicts(),
        "by_method_per_city": summarise(
            city.filter("recommended").with_columns(pl.col("city").alias("method"))
        ).to_dicts(),
        "districts_valid": summarise(districts.filter(pl.col("valid") & pl.col("recommended"))).to_dicts(),
        "districts_flagged": summarise(districts.filter(~pl.col("valid") & pl.col("recommended"))).to_dicts(),
        "consistency": consistency(estimates),
        "inspections": inspection_check(estimates, Path(truth_dir)) if truth_dir is not None else [],
        "reference_dates": sorted({f"{c} {d}" for c, d in city.select("city", "stichtag").unique().iter_rows()}),
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
    (same year's inspections, latest per property), where the world's truth has the demo
    generator's `truth_inspections.parquet`. A bias check, not a coverage figure."""
    truth_dir = truth_dir.parent if truth_dir.is_file() else truth_dir
    path = truth_dir / "truth_inspections.parquet"
    rows = estimates.filter((pl.col("method") == "inspection_ratio") & (pl.col("quantity") == "registered_gone"))
    if not path.exists() or rows.is_empty():
        return []
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
    if result.get("world"):
        print(f"world: {json.dumps(result['world'], sort_keys=True)}")
    print(f"cities: {', '.join(result.get('cities', []))}")
    print(
        f"strata scored (>= {MIN_REGISTERED} registered): {result['strata_scored']}; "
        f"reference dates: {', '.join(result['reference_dates'])}"
    )
    with pl.Config(tbl_rows=80, tbl_cols=-1, tbl_width_chars=250, tbl_hide_dataframe_shape=True, float_precision=3):
        print("\nper method (coverage of the 95 % interval; errors = estimate - truth; width = upper - lower):")
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
