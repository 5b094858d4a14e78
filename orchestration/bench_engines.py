"""`make bench` section `engines`: the same small world built by dbt on DuckDB and on a local
Spark session side by side (WAREHOUSE_ENGINE=duckdb|spark, docs/engines.md).

One world (Münster + Enschede, scale 0.005 by default) is generated and loaded once; its loaded
warehouse is copied twice and `dbt build` runs on each copy, once per engine, each as its own dbt
process (Spark's JVM starts and ends with it, as on a night). On Spark the figure is split into
the dbt build and the import of the served tables into DuckDB (warehouse.spark_import), which
`run_dbt` does after every dbt invocation on Spark. Then the served tables of the two copies are
compared: column types and row counts (the figures are only worth something if the engines
built the same tables).

The build is `run_models`: dbt, the Dunkelziffer estimation on the same engine, dbt on the models
reading the estimates. Left out on both engines: the dbt unit tests, which check the code on
fixed rows, not the world (a night leaves them out once they passed, orchestration.unit_tests);
the data tests run.

    python -m orchestration.bench --only engines [--engines-scale 0.005]
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

CITIES = ["muenster", "enschede"]
SEED = 20190101


def load_world(root: Path, scale: float, log=print) -> Path:
    """Generate the world under `root` and load it (the pipeline's load and official assets, no
    dbt): the loaded warehouse, the starting point of both engines."""
    import dagster as dg

    from ingest.demo.generate import generate
    from orchestration.pipeline import run_pipeline
    from orchestration.resources import WarehouseResource

    generate(
        scale=scale,
        seed=SEED,
        landing=root / "landing",
        truth=root / "truth",
        cities=CITIES,
        overwrite=True,
        progress=lambda *_: None,
    )
    warehouse = root / "loaded.duckdb"
    resources = {
        "warehouse": WarehouseResource(
            database=str(warehouse), landing_dir=str(root / "landing"), dbt_target_path=str(root / "dbt_load")
        )
    }
    selection = dg.AssetSelection.groups("raw", "raw_official").without_checks()
    run_pipeline(selection, cities=CITIES, resources=resources, log=lambda _msg: None)
    return warehouse


def build(engine_name: str, warehouse: Path, target: Path, args: list[str]) -> dict:
    """`dbt build` on `engine_name` against `warehouse` (a separate dbt process): seconds of dbt and,
    on Spark, of the import into DuckDB that follows it."""
    from orchestration.dbt_project import run_models

    saved = os.environ.get("WAREHOUSE_ENGINE")
    os.environ["WAREHOUSE_ENGINE"] = engine_name
    os.environ.pop("SPARK_WAREHOUSE_DIR", None)  # the Spark side beside this warehouse
    try:
        t0 = time.perf_counter()
        results = run_models(args, warehouse=warehouse, target_path=target, log=lambda _line: None)
        total = time.perf_counter() - t0
    finally:
        if saved is None:
            os.environ.pop("WAREHOUSE_ENGINE", None)
        else:
            os.environ["WAREHOUSE_ENGINE"] = saved
    imported = sum(getattr(result, "engine_import_s", 0.0) for result in results)
    return {"dbt_s": total - imported, "import_s": imported}


def served_differences(duck: Path, spark: Path) -> tuple[int, list[str]]:
    """(served tables compared, differences): tables of one copy missing in the other, column
    names and types, row counts."""
    from warehouse.db import connect
    from warehouse.spark_import import SERVED_SCHEMAS

    def describe(path: Path) -> dict[str, tuple[list, int]]:
        with connect(path, read_only=True) as con:
            names = con.execute(
                "select schema_name || '.' || table_name from duckdb_tables() where schema_name in "
                f"({', '.join(repr(s) for s in SERVED_SCHEMAS)}) order by 1"
            ).fetchall()
            out = {}
            for (name,) in names:
                columns = con.execute(f"describe {name}").fetchall()
                rows = con.execute(f"select count(*) from {name}").fetchone()[0]
                out[name] = ([(c[0], c[1]) for c in columns], rows)
            return out

    a, b = describe(duck), describe(spark)
    problems = [f"{t}: only on DuckDB" for t in sorted(set(a) - set(b))]
    problems += [f"{t}: only on Spark" for t in sorted(set(b) - set(a))]
    for table in sorted(set(a) & set(b)):
        (cols_a, rows_a), (cols_b, rows_b) = a[table], b[table]
        if cols_a != cols_b:
            diff = [f"{x} vs {y}" for x, y in zip(cols_a, cols_b, strict=False) if x != y]
            problems.append(f"{table}: columns {'; '.join(diff) or f'{len(cols_a)} vs {len(cols_b)}'}")
        if rows_a != rows_b:
            problems.append(f"{table}: {rows_a} rows on DuckDB, {rows_b} on Spark")
    return len(set(a) & set(b)), problems


def bench_engines(work: Path, scale: float = 0.005, log=print) -> dict:
    root = work / "engines"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    t0 = time.perf_counter()
    loaded = load_world(root, scale, log)
    log(f"   world: scale {scale:g}, {', '.join(CITIES)}, generated and loaded in {time.perf_counter() - t0:.1f} s")
    args = ["build", "--exclude", "test_type:unit"]
    log("   left out on both engines: the unit tests")
    figures = {"scale": scale}
    for name in ("duckdb", "spark"):
        copy = root / f"{name}.duckdb"
        shutil.copy(loaded, copy)
        found = build(name, copy, root / f"dbt_{name}", args)
        figures.update({f"{name}_{k}": round(v, 1) for k, v in found.items()})
    compared, problems = served_differences(root / "duckdb.duckdb", root / "spark.duckdb")
    ratio = figures["spark_dbt_s"] / figures["duckdb_dbt_s"]
    log(
        f"   dbt build   DuckDB {figures['duckdb_dbt_s']:7.1f} s   Spark {figures['spark_dbt_s']:7.1f} s   ratio {ratio:.1f}x"
    )
    log(f"   import      served tables from Spark into DuckDB {figures['spark_import_s']:.1f} s")
    total = (figures["spark_dbt_s"] + figures["spark_import_s"]) / figures["duckdb_dbt_s"]
    log(f"   Spark with import / DuckDB: {total:.1f}x")
    log(f"   served tables compared: {compared}, differences (types, rows): {len(problems)}")
    for problem in problems:
        log(f"     {problem}")
    figures.update(
        ratio_spark_to_duckdb=round(ratio, 2),
        ratio_with_import=round(total, 2),
        served_tables=compared,
        served_differences=len(problems),
    )
    return figures
