"""Nightly increment vs full pipeline, side by side in one run (figures 1, 2 and 6 of issue 13).

For each world size (Münster + Enschede at the given scales): the full pipeline from an empty
warehouse (load + checks + dbt + exchange of the latest quarter + publish, i.e. the nightly
path over every delivery), then through the nightly path (`orchestration.increments.run_increment`,
from files landed to the published copy swapped):
  * nightly: one city's new month (its meldewesen, sgb2 and beratung, and at the quarter's end
    its bestand),
  * v2: a `_v2` correction of a month two years back (one record less),
and, unless --no-equality, the equality check: the warehouse after the increments against a
`dbt run --full-refresh` of a copy of it (fingerprints of marts, exchange, alliance, official).
Printed as a table with the ratios; never pass/fail (an unequal result is printed as such).

    python -m orchestration.bench_increments --scales 0.005,0.02
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

CITY, OTHER = "muenster", "enschede"
START, LAST_MONTH, V2_MONTH = "2019-01", "2026-09", "2024-09"
NEW_MONTH = [
    f"{CITY}/meldewesen/{LAST_MONTH}.parquet",
    f"{CITY}/sgb2/{LAST_MONTH}.parquet",
    f"{CITY}/beratung/{LAST_MONTH}.parquet",
    f"{CITY}/bestand/{LAST_MONTH}-30.parquet",  # September ends a quarter
]


def _resources(root: Path) -> dict:
    from orchestration.resources import WarehouseResource

    return {
        "warehouse": WarehouseResource(
            database=str(root / "warehouse.duckdb"),
            published_database=str(root / "published" / "warehouse.duckdb"),
            landing_dir=str(root / "landing"),
            exchange_outbox_dir=str(root / "outbox"),
            reports_output_dir=str(root / "reports"),
            dbt_target_path=str(root / "dbt_target"),
        )
    }


def _equal_to_full_rebuild(root: Path) -> tuple[bool, float, list[str]]:
    from orchestration.dbt_project import run_dbt
    from warehouse.db import connect
    from warehouse.fingerprint import DEFAULT_SCHEMAS, table_fingerprints

    copy = root / "rebuilt.duckdb"
    shutil.copy(root / "warehouse.duckdb", copy)
    t0 = time.perf_counter()
    run_dbt(["run", "--full-refresh"], warehouse=copy, target_path=root / "dbt_rebuild", log=lambda _: None)
    seconds = time.perf_counter() - t0
    with connect(root / "warehouse.duckdb", read_only=True) as con:
        incremental = table_fingerprints(con, DEFAULT_SCHEMAS)
    with connect(copy, read_only=True) as con:
        full = table_fingerprints(con, DEFAULT_SCHEMAS)
    differing = sorted(t for t in set(full) | set(incremental) if full.get(t) != incremental.get(t))
    return not differing, seconds, differing


def bench_world(work: Path, scale: float, equality: bool = True, log=print) -> dict:
    from ingest.demo.generate import generate
    from orchestration.increments import run_increment
    from warehouse.db import connect

    root = work / f"scale_{scale:g}"
    shutil.rmtree(root, ignore_errors=True)
    source, landing = root / "world", root / "landing"
    generate(
        scale=scale,
        seed=20190101,
        landing=source,
        truth=root / "truth",
        cities=[CITY, OTHER],
        start=START,
        overwrite=True,
        progress=lambda *_: None,
    )
    shutil.copytree(source, landing)
    for rel in NEW_MONTH:
        (landing / rel).unlink(missing_ok=True)
    resources, warehouse = _resources(root), root / "warehouse.duckdb"
    quiet = lambda _msg: None  # noqa: E731

    t0 = time.perf_counter()
    run_increment(
        [CITY, OTHER], resources=resources, warehouse=warehouse, only_quarters=["2026-Q3"], all_models=True, log=quiet
    )
    full_s = time.perf_counter() - t0
    with connect(warehouse, read_only=True) as con:
        events = con.execute("select count(*) from raw.meldewesen").fetchone()[0]

    for rel in NEW_MONTH:
        if (source / rel).exists():
            (landing / rel).write_bytes((source / rel).read_bytes())
    t0 = time.perf_counter()
    nightly = run_increment([CITY], resources=resources, warehouse=warehouse, log=quiet)
    nightly_s = time.perf_counter() - t0

    old = pl.read_parquet(source / f"{CITY}/meldewesen/{V2_MONTH}.parquet")
    old.head(old.height - 1).write_parquet(landing / f"{CITY}/meldewesen/{V2_MONTH}_v2.parquet")
    t0 = time.perf_counter()
    v2 = run_increment([CITY], resources=resources, warehouse=warehouse, log=quiet)
    v2_s = time.perf_counter() - t0

    fig = {
        "scale": scale,
        "events": events,
        "full_s": round(full_s, 1),
        "nightly_s": round(nightly_s, 1),
        "v2_s": round(v2_s, 1),
        "nightly_changes": len(nightly.changes),
        "nightly_recomputed": sorted({c for b in nightly.models for c in (b["cities"] or [])}),
        "v2_recomputed": sorted({c for b in v2.models for c in (b["cities"] or [])}),
    }
    if equality:
        same, rebuild_s, differing = _equal_to_full_rebuild(root)
        fig.update(equal_to_full_rebuild=same, full_refresh_dbt_s=round(rebuild_s, 1), differing=differing)
    log(f"   scale {scale:g}: {fig}")
    return fig


def print_table(rows: list[dict], log=print) -> None:
    base = rows[0]["nightly_s"] if rows else None
    log(
        f"{'scale':>7} {'events':>10} {'full s':>8} {'nightly s':>10} {'v2 s':>7} "
        f"{'nightly/full':>13} {'v2/nightly':>11} {'nightly/smallest':>17} {'equal':>6}"
    )
    for r in rows:
        log(
            f"{r['scale']:>7g} {r['events']:>10,} {r['full_s']:>8.1f} {r['nightly_s']:>10.1f} {r['v2_s']:>7.1f} "
            f"{r['nightly_s'] / r['full_s']:>13.2f} {r['v2_s'] / r['nightly_s']:>11.2f} "
            f"{r['nightly_s'] / base:>17.2f} {str(r.get('equal_to_full_rebuild', '-')):>6}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="0.005,0.02", help="comma-separated world scales (Münster + Enschede)")
    parser.add_argument("--no-equality", action="store_true", help="skip the full-rebuild comparison")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_increments_"))
    rows = [bench_world(work, float(s), not args.no_equality) for s in args.scales.split(",")]
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
