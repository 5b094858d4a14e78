"""python -m disclosure audit|repair [--warehouse PATH]: the audit (exit 1 when breakable) or the
repair; both end with the price of safety per table as the last repair recorded it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from disclosure.audit import BreakablePattern, audit_connection, relations_note
from disclosure.lp import AuditError
from disclosure.price import price_of_safety
from warehouse.db import connect
from warehouse.settings import warehouse_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m disclosure", description=__doc__)
    parser.add_argument("command", choices=["audit", "repair"])
    parser.add_argument("--warehouse", type=Path, default=None, help="DuckDB file (default: the warehouse)")
    args = parser.parse_args(argv)
    path = Path(args.warehouse or warehouse_path())
    if not path.exists():
        print(f"ERROR: {path} does not exist", file=sys.stderr)
        return 2
    if args.command == "repair":
        from disclosure.warehouse import repair_warehouse

        try:
            summary = repair_warehouse(path)
        except (BreakablePattern, AuditError) as exc:
            print(f"ERROR: {exc}", file=sys.stderr)
            return 1
        print("\n".join(summary.lines()))
        with connect(path) as con:  # what the repair recorded, as the warehouse holds it
            print("\n".join(price_of_safety(con)))
        return 0
    con = connect(path, read_only=True)
    try:
        report = audit_connection(con)
        price = price_of_safety(con)
    except AuditError as exc:  # cannot judge: as bad as breakable for whoever asked
        print(f"ERROR: the audit cannot judge the pattern: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    print("\n".join(report.lines()))
    print(relations_note())
    print("\n".join(price))
    print(report.headline())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
