"""Command line: python -m ingest.demo [--scale F] [--seed N] [--landing DIR] [--truth DIR] ..."""

from __future__ import annotations

import argparse
import sys

from ingest.demo.generate import DEFAULT_END, DEFAULT_SCALE, DEFAULT_SEED, DEFAULT_START, generate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m ingest.demo", description="Write the synthetic demo world's deliveries and truth tables."
    )
    ap.add_argument(
        "--scale", type=float, default=DEFAULT_SCALE, help=f"persons per real inhabitant (default {DEFAULT_SCALE})"
    )
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--landing", help="landing folder (default: LANDING_DIR or data/landing)")
    ap.add_argument("--truth", help="truth folder (default: DEMO_TRUTH_DIR or data/demo_truth)")
    ap.add_argument("--cities", help="comma-separated city slugs (default: all the world knows)")
    ap.add_argument("--sources", help="comma-separated sources, e.g. meldewesen (default: all)")
    ap.add_argument("--start", default=DEFAULT_START, help="first delivered month YYYY-MM")
    ap.add_argument("--end", default=DEFAULT_END, help="last delivered month YYYY-MM")
    ap.add_argument(
        "--overwrite",
        action="store_true",
        help="replace existing deliveries of the generated cities in the landing folder",
    )
    ap.add_argument(
        "--official-only",
        action="store_true",
        help="simulate the same world but write only its official tables into <landing>/official/",
    )
    a = ap.parse_args(argv)
    split = lambda s: [x.strip() for x in s.split(",") if x.strip()] if s else None
    try:
        generate(
            scale=a.scale,
            seed=a.seed,
            landing=a.landing,
            truth=a.truth,
            cities=split(a.cities),
            start=a.start,
            end=a.end,
            sources=split(a.sources),
            overwrite=a.overwrite,
            official_only=a.official_only,
        )
    except (ValueError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
