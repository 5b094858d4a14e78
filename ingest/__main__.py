"""Command line: `python -m ingest load [--landing DIR] [--warehouse PATH] [--city X ...] [--source S ...]`
and `python -m ingest release FILE [--note TEXT]`.

Exit codes of `load`: 0 every delivery dealt with and none quarantined; 3 finished with N
quarantined (the others are loaded, the summary names each quarantined file and its reason);
1 the warehouse itself failed (full disk, broken file, ...): nothing of the batch being
written is in it, a rerun picks the same files up again.
"""

from __future__ import annotations

import argparse
import logging
import sys

EXIT_QUARANTINED = 3
EXIT_WAREHOUSE_FAILED = 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest")
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load", help="load the landing directory into the raw layer")
    load.add_argument("--landing", help="landing directory (default: LANDING_DIR)")
    load.add_argument("--warehouse", help="DuckDB file (default: WAREHOUSE_DUCKDB_PATH)")
    load.add_argument("--city", action="append", help="only this city (repeatable)")
    load.add_argument("--source", action="append", help="only this source (repeatable)")
    release = sub.add_parser(
        "release",
        help="release a quarantined delivery: the next load tries it again and accepts a "
        "corrected version much shorter than the one in force",
    )
    release.add_argument("file", help="path relative to the landing folder, as in meta.delivery_registry")
    release.add_argument("--warehouse", help="DuckDB file (default: WAREHOUSE_DUCKDB_PATH)")
    release.add_argument("--note", help="why (kept with the release)")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    if args.command == "release":
        from ingest.release import release_delivery

        try:
            print(release_delivery(args.file, args.warehouse, note=args.note))
        except LookupError as exc:
            print(f"ERROR: {exc}", file=sys.stderr)
            return 2
        return 0

    from ingest.load import load_landing

    try:
        summary = load_landing(args.landing, args.warehouse, cities=args.city, sources=args.source)
    except ValueError as exc:  # a wrong argument (unknown city)
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the warehouse (not a delivery) failed
        logging.getLogger("ingest").exception("load failed: the warehouse could not be written (%s)", exc)
        print(f"FAILED: the warehouse could not be written: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_WAREHOUSE_FAILED
    return EXIT_QUARANTINED if summary.quarantined else 0


if __name__ == "__main__":
    sys.exit(main())
