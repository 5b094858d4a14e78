"""Command line: `python -m estimation capture-history FILE.csv [--lists a,b,c]` and
`python -m estimation validate --landing DIR --truth DIR --warehouse PATH`."""

from __future__ import annotations

import argparse
import json
import sys


def _capture_history(args) -> int:
    import polars as pl

    from estimation.capture_history import estimate_capture_history, read_capture_history, summary_table

    lists = args.lists.split(",") if args.lists else None
    df, lists, count_col = read_capture_history(args.file, lists, args.count)
    zeros = [
        dict((kv.split("=")[0], int(kv.split("=")[1])) for kv in rule.split("&"))
        for rule in (args.structural_zero or [])
    ]
    results = estimate_capture_history(df, lists, count_col, structural_zeros=zeros)
    if args.json:
        print(json.dumps([e.to_row(lists=label) for label, e in results], indent=1, default=str))
        return 0
    with pl.Config(tbl_rows=100, tbl_width_chars=200, fmt_str_lengths=120, tbl_hide_dataframe_shape=True):
        print(summary_table(results))
    mse = results[-1][1]
    print(f"\nMultiple-systems model (AIC): {', '.join(mse.details['model']) or 'independence'}")
    for alt in mse.details["alternatives"]:
        print(
            f"  {','.join(alt['interactions']) or 'independence':60s} AIC {alt['aic']:10.2f}  "
            f"dAIC {alt['delta_aic']:6.2f}  N {alt['n_hat']:10.1f}"
        )
    if mse.details["not_estimable"]:
        print(f"  not estimable (aliased by structural zeros): {', '.join(mse.details['not_estimable'])}")
    return 0


def _validate(args) -> int:
    from estimation.validate import print_report, validate

    result = validate(
        landing=args.landing,
        truth=args.truth,
        warehouse=args.warehouse,
        build=not args.no_build,
        recompute=args.recompute,
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
    va = sub.add_parser("validate", help="compare the estimates with the demo world's truth")
    va.add_argument("--landing", required=True)
    va.add_argument("--truth", required=True)
    va.add_argument("--warehouse", required=True)
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
