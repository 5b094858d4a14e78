"""Nightly increment vs full pipeline, side by side in one run (figures 1, 2 and 6 of issue 13).

For each world size (Münster + Enschede at the given scales): the full pipeline from an empty
warehouse (load + checks + dbt + exchange of the latest quarter + publish, i.e. the nightly
path over every delivery), then through the nightly path (`orchestration.increments.run_increment`,
from files landed to the published copy swapped):
  * nightly: one city's new month (its meldewesen, sgb2 and beratung, and at the quarter's end
    its bestand),
  * v2: a `_v2` correction of a month two years back (one record less),
and, unless --no-equality, the equality check: the warehouse after the increments against a
`dbt run --full-refresh` of a copy of it followed by the disclosure repair, as the nightly path
ends (fingerprints of marts, exchange, alliance, official).
In the same run, beside the full pipeline: the engine's floor (orchestration.bench_floor: the
same delivered files read by DuckDB's bare readers into tables) and the ratio full / floor; where
the full pipeline's time goes (its Dagster steps, the load per city and source, every dbt model
of at least 2 s from the runs' materialisations; of the nights every dbt model and check step of
at least 0.5 s); and the planner queries on the published copy (orchestration.bench_planner:
p50 and p95 over 50 runs each).
Printed as a table with the ratios; never pass/fail (an unequal result is printed as such).

World size: 1.0 of scale is about 0.86 M movement events of Münster + Enschede 2019-2026 (plus
~4 k at any scale; measured: 0.02 -> 21 k, 0.1 -> 89 k, 0.75 -> 645 k), so `--events` is turned
into a scale with `scale_for_events`; the stock (bestand, quarterly) is ~17 rows per event
(measured: 1.64 M at 99 k events, 8.45 M at 500 k).

    python -m orchestration.bench_increments --events 1e5,6e5,1e6
    python -m orchestration.bench_increments --scales 0.005,0.02
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
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


# movement events of Münster + Enschede 2019-2026 per 1.0 of scale, and those at any scale (fit of
# 0.02 -> 21,014, 0.1 -> 89,385 and 0.75 -> 645 k generated events)
EVENTS_PER_SCALE, EVENTS_AT_ANY_SCALE = 855_000, 3_900
PROFILE_MODEL_S = 2.0  # dbt models at least this long are listed in the profile
NIGHT_MODEL_S = 0.5  # and in a night's
STEP_DONE = re.compile(r"^\s*(\S+): done \(([\d.]+) s\)$")
WRITES_LINE = re.compile(r"^batch writes: (\d+) transactions\s+([\d,]+) rows\s+([\d.]+) s$")
LOAD_LINE = re.compile(r"^(\S+)\s+(\S+)\s+(\d+) files\s+([\d,]+) rows\s+([\d.]+) s$")


def scale_for_events(events: float) -> float:
    """The scale of a Münster + Enschede world with about `events` movement events."""
    return max(0.001, (events - EVENTS_AT_ANY_SCALE) / EVENTS_PER_SCALE)


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def _ingest_lines():
    """The load's own lines (per city and source: files, rows, seconds) while the block runs."""
    logger, handler = logging.getLogger("ingest"), _Lines()
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False  # not onto the console
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def dbt_model_times(results, at_least_s: float = PROFILE_MODEL_S) -> list[tuple[str, float]]:
    """(model, seconds) of every dbt model the Dagster runs `results` materialised for at least
    `at_least_s` in all, longest first: the sum of dagster-dbt's "Execution Duration" of its
    materialisations.
    (Not dbt's run_results.json: the dbt ops of a run share one target folder for partial parsing,
    so each invocation's file replaces the one before.)"""
    models: dict[str, float] = {}
    for result in results:
        for event in result.all_events:
            if not event.is_step_materialization:
                continue
            materialization = event.step_materialization_data.materialization
            duration = materialization.metadata.get("Execution Duration")
            if duration is not None:
                name = materialization.asset_key.path[-1]
                models[name] = models.get(name, 0.0) + duration.value
    return sorted(((m, round(t, 1)) for m, t in models.items() if t >= at_least_s), key=lambda m: -m[1])


def _check_steps(results, at_least_s: float = NIGHT_MODEL_S) -> dict[str, float]:
    """Seconds of each check step of the runs of at least `at_least_s`, longest first."""
    from orchestration.increments import phase_of, step_seconds

    steps = [(k, round(v, 1)) for k, v in step_seconds(results).items() if phase_of(k) == "checks" and v >= at_least_s]
    return dict(sorted(steps, key=lambda kv: -kv[1]))


def pipeline_profile(progress: list[str], ingest: list[str], models: list[tuple[str, float]]) -> dict:
    """Where the full pipeline's time went: its steps, the load per city and source, dbt models."""
    steps: dict[str, float] = {}
    for line in progress:
        if m := STEP_DONE.match(line):
            steps[m.group(1)] = steps.get(m.group(1), 0.0) + float(m.group(2))
    load = {}
    for line in ingest:
        if m := WRITES_LINE.match(line.strip()):
            load["(batch writes)"] = {
                "files": int(m.group(1)),  # transactions
                "rows": int(m.group(2).replace(",", "")),
                "s": float(m.group(3)),
            }
        elif m := LOAD_LINE.match(line.strip()):
            load[f"{m.group(1)}/{m.group(2)}"] = {
                "files": int(m.group(3)),
                "rows": int(m.group(4).replace(",", "")),
                "s": float(m.group(5)),
            }
    return {"steps": steps, "load": load, "dbt_models": models}


def print_profile(profile: dict, log=print) -> None:
    steps = sorted(profile["steps"].items(), key=lambda kv: -kv[1])
    log("   full pipeline, steps of >= 1 s: " + ", ".join(f"{k} {v:.1f} s" for k, v in steps))
    log("   load per city and source, read and checked (files, rows, s, rows/s); the inserts apart:")
    for key, v in sorted(profile["load"].items(), key=lambda kv: -kv[1]["s"]):
        rate = v["rows"] / v["s"] if v["s"] else 0
        log(f"     {key:<32} {v['files']:>5} {v['rows']:>12,} {v['s']:>7.1f} {rate:>10,.0f}")
    log(f"   dbt models of >= {PROFILE_MODEL_S:g} s: " + ", ".join(f"{m} {t:.1f} s" for m, t in profile["dbt_models"]))


def _use_bench_keys(root: Path) -> None:
    """Key pairs of the two cities in the work folder for the exchange packages (synthetic data are
    never signed with a real key, whatever the environment says)."""
    import os

    from orchestration.signing import ensure_keys

    ensure_keys([CITY, OTHER], root / "private", root / "keyring")
    os.environ["EXCHANGE_SIGNING_KEY_DIR"] = str(root / "private")
    os.environ["EXCHANGE_KEYRING_DIR"] = str(root / "keyring")


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
    from disclosure.warehouse import repair_warehouse
    from orchestration.dbt_project import run_models
    from warehouse.db import connect
    from warehouse.fingerprint import DEFAULT_SCHEMAS, table_fingerprints

    copy = root / "rebuilt.duckdb"
    shutil.copy(root / "warehouse.duckdb", copy)
    t0 = time.perf_counter()
    run_models(["run", "--full-refresh"], warehouse=copy, target_path=root / "dbt_rebuild", log=lambda _: None)
    # the nightly path ends its dbt models with the disclosure repair (secondary suppression of the
    # cell tables); the rebuild must too, or it differs in exactly the flags the repair sets
    repair_warehouse(copy)
    seconds = time.perf_counter() - t0
    with connect(root / "warehouse.duckdb", read_only=True) as con:
        incremental = table_fingerprints(con, DEFAULT_SCHEMAS)
    with connect(copy, read_only=True) as con:
        full = table_fingerprints(con, DEFAULT_SCHEMAS)
    differing = sorted(t for t in set(full) | set(incremental) if full.get(t) != incremental.get(t))
    copy.unlink()  # a second warehouse of the largest world would not leave room for the next size
    return not differing, seconds, differing


def bench_world(
    work: Path, scale: float, equality: bool = True, log=print, floor: bool = True, planner_runs: int = 50
) -> dict:
    from ingest.demo.generate import generate
    from orchestration.bench_floor import engine_floor
    from orchestration.bench_planner import planner_figures, print_planner, time_planner_queries
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
    # deliveries are immutable and the pipeline only adds files to the landing folder: hard links
    # instead of a second copy of the world (the 10 M world's files are ~20 GB)
    shutil.copytree(source, landing, copy_function=os.link)
    for rel in NEW_MONTH:
        (landing / rel).unlink(missing_ok=True)
    _use_bench_keys(work / "signing_keys")
    resources, warehouse = _resources(root), root / "warehouse.duckdb"
    quiet = lambda _msg: None  # noqa: E731

    # the engine's floor over the very files the full pipeline loads next (both read them warm)
    floor_fig = engine_floor(landing, root / "floor.duckdb", log=log) if floor else {}
    (root / "floor.duckdb").unlink(missing_ok=True)
    progress: list[str] = []
    t0 = time.perf_counter()
    with _ingest_lines() as ingest:
        full = run_increment(
            [CITY, OTHER],
            resources=resources,
            warehouse=warehouse,
            only_quarters=["2026-Q3"],
            all_models=True,
            log=progress.append,
        )
    full_s = time.perf_counter() - t0
    profile = pipeline_profile(progress, ingest, dbt_model_times(full.results))
    with connect(warehouse, read_only=True) as con:
        events = con.execute("select count(*) from raw.meldewesen").fetchone()[0]
        stock_rows = con.execute("select count(*) from raw.bestand").fetchone()[0]
    log(f"   scale {scale:g}: full pipeline {full_s:.1f} s ({events:,} events, {stock_rows:,} stock rows)")
    print_profile(profile, log)

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

    planner = time_planner_queries(root / "published" / "warehouse.duckdb", planner_runs) if planner_runs else []
    if planner:
        print_planner(planner, planner_runs, log)
    fig = {
        "scale": scale,
        "events": events,
        "stock_rows": stock_rows,
        "full_s": round(full_s, 1),
        **{k: v for k, v in floor_fig.items() if k != "floor_per_source_s"},
        "full_over_floor": round(full_s / floor_fig["floor_s"], 1) if floor_fig.get("floor_s") else None,
        "floor_per_source_s": floor_fig.get("floor_per_source_s"),
        "profile": profile,
        "planner": planner,
        **planner_figures(planner),
        "nightly_s": round(nightly_s, 1),
        "v2_s": round(v2_s, 1),
        "nightly_changes": len(nightly.changes),
        "nightly_recomputed": sorted({c for b in nightly.models for c in (b["cities"] or [])}),
        "v2_recomputed": sorted({c for b in v2.models for c in (b["cities"] or [])}),
        # where a night's time goes: load, checks, dbt, estimates, disclosure, exchange, publish
        "nightly_phases_s": nightly.phases,
        "v2_phases_s": v2.phases,
        # the dbt models of the night and of the _v2 night of at least NIGHT_MODEL_S
        "nightly_dbt_models_s": dict(dbt_model_times(nightly.results, NIGHT_MODEL_S)),
        "v2_dbt_models_s": dict(dbt_model_times(v2.results, NIGHT_MODEL_S)),
        # and its checks, step by step (the raw suites of the night's deliveries, the mart suites)
        "nightly_checks_s": _check_steps(nightly.results),
    }
    if equality:
        same, rebuild_s, differing = _equal_to_full_rebuild(root)
        fig.update(equal_to_full_rebuild=same, full_refresh_dbt_s=round(rebuild_s, 1), differing=differing)
    shown = {k: v for k, v in fig.items() if k not in ("profile", "planner", "floor_per_source_s")}
    log(f"   scale {scale:g}: {shown}")
    # the next (larger) size needs the disk: keep the warehouse and its published copy, drop the files
    for folder in (source, landing, root / "truth"):
        shutil.rmtree(folder, ignore_errors=True)
    return fig


def print_table(rows: list[dict], log=print) -> None:
    base = rows[0]["nightly_s"] if rows else None
    log(
        f"{'scale':>7} {'events':>10} {'stock rows':>11} {'floor s':>8} {'full s':>8} {'full/floor':>11} "
        f"{'nightly s':>10} {'v2 s':>7} {'nightly/full':>13} {'v2/nightly':>11} {'nightly/smallest':>17} "
        f"{'planner p95 ms':>15} {'equal':>6}"
    )
    for r in rows:
        floor_s, ratio, p95 = r.get("floor_s"), r.get("full_over_floor"), r.get("planner_worst_p95_ms")
        log(
            f"{r['scale']:>7g} {r['events']:>10,} {r.get('stock_rows', 0):>11,} "
            f"{(f'{floor_s:.1f}' if floor_s else '-'):>8} {r['full_s']:>8.1f} {(f'{ratio:.1f}x' if ratio else '-'):>11} "
            f"{r['nightly_s']:>10.1f} {r['v2_s']:>7.1f} "
            f"{r['nightly_s'] / r['full_s']:>13.2f} {r['v2_s'] / r['nightly_s']:>11.2f} "
            f"{r['nightly_s'] / base:>17.2f} {(f'{p95:.1f}' if p95 is not None else '-'):>15} "
            f"{str(r.get('equal_to_full_rebuild', '-')):>6}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--scales",
        default="0.005,0.02",
        help="comma-separated world scales of Münster + Enschede 2019-2026; 1.0 is about 0.86 M movement "
        "events (0.02: 21 k, 0.1: 89 k; see the module's text)",
    )
    parser.add_argument(
        "--events", default="", help="comma-separated world sizes in movement events instead, e.g. 1e5,6e5,1e6"
    )
    parser.add_argument("--no-equality", action="store_true", help="skip the full-rebuild comparison")
    parser.add_argument("--no-floor", action="store_true", help="skip the engine floor")
    parser.add_argument("--planner-runs", type=int, default=50, help="runs per planner query (0: skipped)")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_increments_"))
    rows = [
        bench_world(work, scale, not args.no_equality, floor=not args.no_floor, planner_runs=args.planner_runs)
        for scale in world_scales(args.scales, args.events)
    ]
    print_table(rows)
    return 0


def world_scales(scales: str, events: str = "") -> list[float]:
    """The scales asked for: `events` (sizes in movement events) if given, else `scales`."""
    if events:
        return [round(scale_for_events(float(e)), 4) for e in events.split(",") if e]
    return [float(s) for s in scales.split(",") if s]


if __name__ == "__main__":
    sys.exit(main())
