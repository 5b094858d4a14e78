"""`make demo`: generate the synthetic demo world, then run the pipeline on it end to end.

The pipeline is the Dagster definitions, run in this process (orchestration.pipeline; DuckDB
admits one writer): load, checks, dbt with the Dunkelziffer estimates, the exchange packages
of the report quarter, the published copy and the German report of the quarter. It prints
progress per stage and step, and at the end where the results are.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import datetime
from pathlib import Path

from warehouse.settings import (
    demo_keys_dir,
    demo_truth_dir,
    landing_dir,
    published_path,
    reports_output_dir,
    warehouse_path,
)

DEMO_SCALE_DEFAULT = None  # None: the generator's documented default scale
REPORT_QUARTER = "2026-Q3"
REPORT_ALLIANCE = "alle"
REPORT_LANGUAGES = ["de"]


def _step(title: str):
    print(f"\n== {title}", flush=True)
    return time.perf_counter()


def _done(t0: float) -> None:
    print(f"   ({time.perf_counter() - t0:.1f} s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=DEMO_SCALE_DEFAULT)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--regenerate", action="store_true", help="rewrite the demo world even if present")
    parser.add_argument("--skip-report", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)

    started = time.perf_counter()
    landing = landing_dir()
    print("Demo of the migration statistics warehouse on SYNTHETIC data (no real person is in it).")
    print(f"landing: {landing}\nwarehouse: {warehouse_path()}")

    from ingest.demo import generate
    from ingest.demo.manifest import ForeignLandingError, refuse_foreign

    try:  # never run on (or write into) a landing folder holding anything the demo did not write
        refuse_foreign(landing)
    except ForeignLandingError as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 2
    t = _step("1/3 demo world: generating deliveries of eight cities (synthetic)")

    if args.regenerate or not (landing / "DEMO_SYNTHETIC_DATA.txt").exists():
        kwargs = {"landing": landing, "truth": demo_truth_dir(), "seed": args.seed, "overwrite": True}
        if args.scale is not None:
            kwargs["scale"] = args.scale
        generate(**kwargs)
    else:
        print("   present already (use --regenerate to rewrite it)")
    _done(t)

    # The demo world publishes official tables of its own (ingest/demo/official.py): a synthetic
    # register of a few per cent of a city is never set beside the real official figures.
    t = _step("2/3 official tables: the demo world's own official statistics (synthetic) in landing/official")
    from ingest.demo.generate import ensure_official_tables

    removed = ensure_official_tables(landing)
    if removed:
        print(f"   removed {len(removed)} files that do not belong to the demo world (e.g. real tables)")
    _done(t)

    t = _step(
        "3/3 pipeline (the Dagster definitions): load, checks, dbt with marts, estimates, exchange and "
        f"alliance layers, exchange packages {REPORT_QUARTER}, published copy"
        + ("" if args.skip_report else f", report {REPORT_QUARTER} (German, HTML and PDF)")
    )
    import dagster as dg

    from orchestration.pipeline import run_pipeline

    keys = use_demo_keys()
    print(f"   exchange packages signed with the demo's own keys ({keys}; never a real city's key)")

    selection = dg.AssetSelection.all()
    if args.skip_report:
        selection = selection - dg.AssetSelection.assets("quarterly_report")
    pipeline_started = datetime.now()
    results = run_pipeline(
        selection,
        quarters=[REPORT_QUARTER],
        alliances=[REPORT_ALLIANCE],
        op_config={"quarterly_report": {"languages": REPORT_LANGUAGES}},
    )
    _done(t)

    audit = _disclosure_audit()
    print(f"   disclosure audit: {audit}")
    for line in _price_of_safety():
        print(f"   {line}")
    if not audit.startswith("0 breakable"):
        print("ERROR: the disclosure audit did not pass", file=sys.stderr)
        return 1

    t = _step("leak scan: published copy and Parquet, exchange packages, reports, Dagster metadata")
    from reports.leakscan import LeakFound

    try:
        leak_scan(results)
    except LeakFound as exc:
        print(f"FAILED: {exc}", flush=True)
        return 1
    _done(t)

    from reports.dashboard import dashboard_path

    print(f"   dashboards: {dashboard_path('alle').parent.parent} (one self-contained HTML per alliance and city)")

    total = time.perf_counter() - started
    loads = _load_counts(pipeline_started)
    print("\nDone (synthetic demo data).")
    print(
        f"  deliveries: {loads['loaded']} loaded, {loads['superseded']} superseded, "
        f"{loads['duplicate']} duplicate, {loads['quarantined']} quarantined, {loads['pending']} pending"
    )
    print(f"  warehouse:  {warehouse_path()}")
    print(f"  published:  {published_path()} (open read-only; Parquet beside it)")
    print(f"  reports:    {reports_output_dir()}")
    print(f"  dashboard:  {dashboard_path('alle')}  (open it in a browser: file, no server, no internet needed)")
    print("  Dagster UI: make dev  (http://127.0.0.1:3000)")
    print(f"Demo took {total:.0f} s ({total / 60:.1f} min).")
    return 0


def leak_scan(results) -> None:
    """reports.leakscan over everything the demo let leave the city layer; raises on a finding."""
    from reports.leakscan import dagster_records, require_clean, result_materializations
    from warehouse.settings import exchange_outbox_dir

    paths = [p for p in (published_path().parent, exchange_outbox_dir(), reports_output_dir()) if p.exists()]
    records = dagster_records(result_materializations(results))
    require_clean(paths, "demo", records)
    print(f"   0 problems in {', '.join(str(p) for p in paths)} and {len(records)} Dagster records")


def use_demo_keys() -> Path:
    """Signing keys of the demo world: a key pair of every city in DEMO_KEYS_DIR (made once,
    git-ignored under data/) and this process's signing key folder and keyring pointed at them,
    whatever the environment says, so a synthetic package is never signed with a real key."""
    from ingest.config import load_cities
    from orchestration.signing import ensure_keys

    root = demo_keys_dir()
    ensure_keys(sorted(load_cities()), root / "private", root / "keyring")
    os.environ["EXCHANGE_SIGNING_KEY_DIR"] = str(root / "private")
    os.environ["EXCHANGE_KEYRING_DIR"] = str(root / "keyring")
    return root


def _disclosure_audit() -> str:
    """The disclosure step's verdict ("0 breakable of N suppressed cells"), from meta.disclosure_audit_summary."""
    from warehouse.db import connect

    with connect(read_only=True) as con:
        try:
            breakable, suppressed = con.execute(
                "select n_breakable_after, n_suppressed_after from meta.disclosure_audit_summary where table_name = 'total'"
            ).fetchone()
        except Exception as exc:  # the step did not run: no verdict is no pass
            return f"no audit recorded ({exc})"
    return f"{breakable} breakable of {suppressed} suppressed cells"


def _price_of_safety() -> list[str]:
    """Per table and in total the cells suppressed before and after the repair, as the
    disclosure step recorded them (disclosure.price)."""
    from disclosure.price import price_of_safety
    from warehouse.db import connect

    with connect(read_only=True) as con:
        return price_of_safety(con)


def _load_counts(since: datetime) -> dict[str, int]:
    """Delivery counts of the load runs since `since` (meta.load_runs, written by ingest)."""
    from warehouse.db import connect

    columns = ("loaded", "superseded", "duplicate", "quarantined", "pending")
    with connect(read_only=True) as con:
        row = con.execute(
            f"select {', '.join(f'coalesce(sum({c}), 0)' for c in columns)} from meta.load_runs where started_at >= ?",
            [since],
        ).fetchone()
    return dict(zip(columns, row, strict=True))


if __name__ == "__main__":
    raise SystemExit(main())
