"""Command line: `python -m quality status | raw [--full] | marts | bench [--warehouse PATH] [--city C ...]`,
and the way out of a block:
`python -m quality release|reject --city C --source S --period P --reason "..." [--form F] [--by NAME]`
(quality.decisions: recorded in meta.gate_decisions, shown in the report's data-quality section)."""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quality", description=__doc__)
    parser.add_argument("command", choices=["status", "raw", "marts", "bench", "release", "reject"])
    parser.add_argument("--warehouse", help="DuckDB file (default: WAREHOUSE_DUCKDB_PATH)")
    parser.add_argument("--city", action="append", help="limit raw checks to these cities")
    parser.add_argument(
        "--full", action="store_true", help="raw: check everything again, not only what changed since the last check"
    )
    decision = parser.add_argument_group("release / reject a blocked city-period")
    decision.add_argument("--source", help="source of the block (e.g. meldewesen, or a mart such as fct_fluctuation)")
    decision.add_argument("--form", default="", help="form of the source, if it has forms (e.g. aggregat)")
    decision.add_argument("--period", help="period as the gate holds it (`python -m quality status` lists them)")
    decision.add_argument("--reason", help="why (shown in the report)")
    decision.add_argument("--by", help="who decides (default: the login name)")
    args = parser.parse_args(argv)
    if args.command in ("release", "reject"):
        missing = [f"--{n}" for n in ("source", "period", "reason") if not getattr(args, n)]
        if not args.city or len(args.city) != 1:
            missing.insert(0, "--city (exactly one)")
        if missing:
            parser.error(f"{args.command} needs {', '.join(missing)}")
    # Our progress lines on stdout, whatever the root logger does; GX's own logging is held at
    # ERROR by quality.gx_engine.quiet().
    ours = logging.getLogger("quality")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    saved = ours.level, ours.propagate
    ours.addHandler(handler)
    ours.setLevel(logging.INFO)
    ours.propagate = False
    try:
        return _run(args)
    finally:
        ours.removeHandler(handler)
        ours.level, ours.propagate = saved


def _run(args) -> int:
    if args.command in ("release", "reject"):
        from quality.decisions import DecisionError, decide, describe

        try:
            made = decide(
                "released" if args.command == "release" else "rejected",
                city=args.city[0],
                source=args.source,
                form=args.form,
                period=args.period,
                reason=args.reason,
                by=args.by,
                warehouse=args.warehouse,
            )
        except DecisionError as exc:
            print(f"{args.command} refused: {exc}", file=sys.stderr)
            return 2
        print(describe(made))
        return 0
    if args.command == "status":
        from quality.status import format_status, status_rows

        try:
            rows, gate = status_rows(args.warehouse)
        except FileNotFoundError as exc:
            print(exc, file=sys.stderr)
            return 2
        print(format_status(rows, gate))
        return 1 if gate else 0
    if args.command == "bench":
        from quality.bench import bench_checks

        bench_checks(args.warehouse)
        return 0
    from quality import run_mart_checks, run_raw_checks
    from quality.results import summarise

    results = (
        run_raw_checks(args.warehouse, args.city, full=args.full)
        if args.command == "raw"
        else run_mart_checks(args.warehouse)
    )
    s = summarise(results)
    blocked = _blocked_in_gate(args.warehouse)
    # Unchanged deliveries are not checked again (raw without --full): their blocks stay in the
    # gate, so the total there is what says whether anything is held back.
    print(
        f"{s['checks']} results: {s['passed']} passed, {s['failed_error']} failed (error), "
        f"{s['failed_warning']} failed (warning), {s['could_not_run']} could not run; "
        f"{s['blocked_city_periods']} blocked deliveries; {blocked} blocked in meta.quality_gate in total"
    )
    return 1 if s["failed_error"] or s["could_not_run"] or blocked else 0


def _blocked_in_gate(warehouse) -> int:
    from warehouse.db import connect

    con = connect(warehouse, read_only=True)
    try:
        return con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT city, source, form, period FROM meta.quality_gate)"
        ).fetchone()[0]
    finally:
        con.close()


if __name__ == "__main__":
    raise SystemExit(main())
