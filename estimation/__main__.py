"""Command line: `python -m estimation capture-history FILE.csv [--lists a,b,c]`,
`python -m estimation validate --landing DIR --truth DIR --warehouse PATH` and
`python -m estimation validate --family`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _capture_history(args) -> int:
    import polars as pl

    from estimation.capture_history import estimate_capture_history, read_capture_history, summary_table

    lists = args.lists.split(",") if args.lists else None
    df, lists, count_col = read_capture_history(args.file, lists, args.count)
    zeros = [_structural_zero(rule) for rule in (args.structural_zero or [])]
    results = estimate_capture_history(df, lists, count_col, structural_zeros=zeros)
    if args.json:
        print(json.dumps([e.to_row(lists=label) for label, e in results], indent=1, default=str))
        return 0
    dropped = results[0][1].inputs.get("dropped_all_zero_rows")
    if dropped:
        print(f"warning: {next(w for w in results[0][1].warnings if 'all-zero' in w)}")
    with pl.Config(tbl_rows=100, tbl_width_chars=200, fmt_str_lengths=120, tbl_hide_dataframe_shape=True):
        print(summary_table(results))
    mse = results[-1][1]
    if not mse.estimable:
        print(f"\nMultiple-systems estimation: {mse.warnings[0]}")
        return 0
    print(f"\nMultiple-systems model (AIC): {', '.join(mse.details['model']) or 'independence'}")
    for alt in mse.details["alternatives"]:
        print(
            f"  {','.join(alt['interactions']) or 'independence':60s} AIC {alt['aic']:10.2f}  "
            f"dAIC {alt['delta_aic']:6.2f}  N {alt['n_hat']:10.1f}"
        )
    if mse.details["not_estimable"]:
        print(f"  not estimable (aliased by structural zeros): {', '.join(mse.details['not_estimable'])}")
    return 0


def _structural_zero(rule: str) -> dict[str, int]:
    """'register=0&sgb2=1' -> {'register': 0, 'sgb2': 1}; anything else is an error."""
    out = {}
    for kv in rule.split("&"):
        name, eq, value = kv.partition("=")
        if not eq or not name.strip() or value.strip() not in ("0", "1"):
            raise ValueError(f"structural zero {rule!r}: write list=0|1 joined by &, e.g. register=0&sgb2=1")
        out[name.strip()] = int(value)
    return out


def _validate(args) -> int:
    if args.family:
        from estimation.family import SCALE, SEEDS, print_family, run_family

        seeds = tuple(int(s) for s in args.seeds.split(",")) if args.seeds else SEEDS
        result = run_family(
            work=args.work, seeds=seeds, scale=args.scale or SCALE, jobs=args.jobs, keep=args.work is not None
        )
        print_family(result)
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
        return 0
    missing = [f"--{k}" for k in ("landing", "truth", "warehouse") if not getattr(args, k)]
    if missing:
        raise ValueError(f"validate needs {', '.join(missing)} (or --family)")
    from estimation.validate import print_report, validate

    result = validate(
        landing=args.landing,
        truth=args.truth,
        warehouse=args.warehouse,
        build=not args.no_build,
        recompute=args.recompute,
        world=args.world,
    )
    print_report(result)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m estimation", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ch = sub.add_parser("capture-history", help="all estimators on a capture-history CSV (0/1 per list + count)")
    ch.add_argument("file")
    ch.add_argument("--lists", help="comma-separated list columns (default: all but the count)")
    ch.add_argument("--count", help="name of the count column (default: count/n/freq)")
    ch.add_argument(
        "--structural-zero", action="append", help="impossible history, e.g. 'register=0&sgb2=1' (repeatable)"
    )
    ch.add_argument("--json", action="store_true", help="full results as JSON")
    ch.set_defaults(func=_capture_history)
    va = sub.add_parser(
        "validate", help="compare the estimates with a world's truth (truth_strata, see METHODS.md), or --family"
    )
    va.add_argument("--landing", help="the world's deliveries")
    va.add_argument("--truth", help="truth_strata.parquet/.csv or its folder (format: METHODS.md)")
    va.add_argument("--warehouse", help="warehouse to build (or read, with --no-build)")
    va.add_argument("--world", help="world description (default: world.json beside the truth)")
    va.add_argument("--family", action="store_true", help="score every method over the grid of estimation/family.py")
    va.add_argument("--work", help="--family: keep the worlds and the warehouse in this folder")
    va.add_argument("--seeds", help="--family: comma-separated seeds (default 1,2,3)")
    va.add_argument("--scale", type=float, help="--family: persons per real inhabitant of the template city")
    va.add_argument("--jobs", type=int, default=2, help="--family: worlds generated at the same time")
    va.add_argument("--json-out", help="--family: write the result tables as JSON")
    va.add_argument("--no-build", action="store_true", help="use the warehouse as it is (no load, no dbt)")
    va.add_argument(
        "--recompute",
        action="store_true",
        help="estimate afresh from the staging models (read-only) instead of reading the mart",
    )
    va.set_defaults(func=_validate)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
