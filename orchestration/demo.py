"""`make demo`: generate the synthetic demo world, load it, build, check, publish, report.

Runs the same plain functions the Dagster assets wrap, in one process (DuckDB admits one
writer), and prints progress per step and where the results are.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from ingest.config import REPO_ROOT, landing_dir, published_path, reports_output_dir, warehouse_path

DEMO_SCALE_DEFAULT = None  # None: the generator's documented default scale
REPORT_QUARTER = "2026-Q3"


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
    truth = Path(os.environ.get("DEMO_TRUTH_DIR", REPO_ROOT / "data" / "demo_truth"))
    print("Demo of the migration statistics warehouse on SYNTHETIC data (no real person is in it).")
    print(f"landing: {landing}\nwarehouse: {warehouse_path()}")

    t = _step("1/8 demo world: generating deliveries of eight cities (synthetic)")
    from ingest.demo import generate

    if args.regenerate or not (landing / "DEMO_SYNTHETIC_DATA.txt").exists():
        kwargs = {"landing": landing, "truth": truth, "seed": args.seed, "overwrite": True}
        if args.scale is not None:
            kwargs["scale"] = args.scale
        generate(**kwargs)
    else:
        print("   present already (use --regenerate to rewrite it)")
    _done(t)

    t = _step("2/8 official tables: copying the real published files into landing/official")
    from ingest.official import load_official, seed_landing

    seed_landing(landing)
    _done(t)

    t = _step("3/8 ingest: loading every new delivery into the raw layer")
    from ingest.load import load_landing

    summary = load_landing(landing_dir=landing)
    load_official(landing, warehouse_path())
    _done(t)

    t = _step("4/8 quality: checks on the raw layer (errors block that city and period)")
    import quality

    quality.run_raw_checks(warehouse_path())
    _done(t)

    t = _step("5/8 dbt build: harmonisation, marts, estimates, exchange and alliance layers")
    from orchestration.dbt_project import run_dbt

    run_dbt(["build"], log=_dbt_log_filter)
    _done(t)

    t = _step("6/8 quality: checks on the marts")
    quality.run_mart_checks(warehouse_path())
    _done(t)

    t = _step("7/8 publish: read-only copy and Parquet for planners")
    from orchestration.publish import publish

    publish(warehouse_path(), published_path())
    _done(t)

    if not args.skip_report:
        t = _step(f"8/8 report: quarterly intercity comparison {REPORT_QUARTER}, German, HTML and PDF")
        from reports.render import render_report

        out = render_report(alliance="alle", quarter=REPORT_QUARTER, lang="de", formats=("html", "pdf"))
        print(f"   {out}")
        _done(t)

    t = _step("+ dashboards: self-contained HTML per alliance and city, from the published copy")
    from reports.dashboard import build_all, dashboard_path

    dashboards = build_all()
    print(f"   {len(dashboards)} dashboards in {dashboard_path('alle').parent.parent}")
    _done(t)

    total = time.perf_counter() - started
    print("\nDone (synthetic demo data).")
    print(
        f"  deliveries: {summary.loaded} loaded, {summary.superseded} superseded, "
        f"{summary.duplicate} duplicate, {summary.quarantined} quarantined, {summary.pending} pending"
    )
    print(f"  warehouse:  {warehouse_path()}")
    print(f"  published:  {published_path()} (open read-only; Parquet beside it)")
    print(f"  reports:    {reports_output_dir()}")
    print(f"  dashboard:  {dashboard_path('alle')}  (open it in a browser: file, no server, no internet needed)")
    print("  Dagster UI: make dev  (http://127.0.0.1:3000)")
    print(f"Demo took {total:.0f} s ({total / 60:.1f} min).")
    return 0


def _dbt_log_filter(line: str) -> None:
    # dbt prints one line per node; keep the progress readable.
    if any(k in line for k in ("ERROR", "FAIL", "WARN", "Completed", "Done.", "Finished running")):
        print("   " + line.split(" | ")[-1] if " | " in line else "   " + line)


if __name__ == "__main__":
    raise SystemExit(main())
