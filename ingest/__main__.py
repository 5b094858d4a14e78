"""Command line: `python -m ingest load [--landing DIR] [--warehouse PATH] [--city X ...] [--source S ...]`.

Exit code 0 also when files were quarantined (they are reported); non-zero only on a crash.
"""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest")
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load", help="load the landing directory into the raw layer")
    load.add_argument("--landing", help="landing directory (default: LANDING_DIR)")
    load.add_argument("--warehouse", help="DuckDB file (default: WAREHOUSE_DUCKDB_PATH)")
    load.add_argument("--city", action="append", help="only this city (repeatable)")
    load.add_argument("--source", action="append", help="only this source (repeatable)")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    from ingest.load import load_landing

    load_landing(args.landing, args.warehouse, cities=args.city, sources=args.source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
