"""Order-independent fingerprints of every table: the equality contract of refactors,
increments and crash reruns ("identical to an uninterrupted run / a full rebuild").

A table's fingerprint is its column names and types, its row count and the sum of a 64-bit hash
of every row (as a struct), so two tables with the same rows in any order have the same print,
and one changed value, one missing or one extra row changes it (up to hash collisions).
"""

from __future__ import annotations

import json
from pathlib import Path

DEFAULT_SCHEMAS = ("marts", "exchange", "alliance", "official")
# Columns that say when something ran, not what it holds: left out of every print, so a rebuild
# of the same deliveries at another time has the same print.
VOLATILE_COLUMNS = (
    "loaded_at",
    "registered_at",
    "checked_at",
    "blocked_at",
    "last_blocked_at",
    "published_at",
    "started_at",
    "finished_at",
    "last_checked_at",
    "last_registered_at",
    "source_warehouse",
    "run_id",
)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_fingerprints(con, schemas=DEFAULT_SCHEMAS, exclude_columns: dict | None = None) -> dict[str, dict]:
    """{"schema.table": {"rows", "hash", "columns"}} for every base table and view of `schemas`.

    `exclude_columns` maps "schema.table" (or "*") to columns left out (e.g. load timestamps).
    """
    exclude_columns = exclude_columns or {}
    placeholders = ", ".join("?" for _ in schemas)
    tables = con.execute(
        f"""select table_schema, table_name from information_schema.tables
            where table_schema in ({placeholders}) order by 1, 2""",
        list(schemas),
    ).fetchall()
    out: dict[str, dict] = {}
    for schema, table in tables:
        name = f"{schema}.{table}"
        skip = set(VOLATILE_COLUMNS) | set(exclude_columns.get(name, ())) | set(exclude_columns.get("*", ()))
        cols = con.execute(
            """select column_name, data_type from information_schema.columns
               where table_schema = ? and table_name = ? order by ordinal_position""",
            [schema, table],
        ).fetchall()
        kept = [(c, t) for c, t in cols if c not in skip]
        if not kept:
            continue
        struct = "struct_pack(" + ", ".join(f"{_quote(c)} := {_quote(c)}" for c, _ in kept) + ")"
        rows, digest = con.execute(
            f"select count(*), coalesce(sum(hash({struct})::hugeint), 0)::varchar from {_quote(schema)}.{_quote(table)}"
        ).fetchone()
        out[name] = {"rows": rows, "hash": digest, "columns": [f"{c} {t}" for c, t in kept]}
    return out


def differences(before: dict[str, dict], after: dict[str, dict]) -> list[str]:
    """Human-readable differences between two fingerprint sets (empty: identical)."""
    lines = []
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name), after.get(name)
        if a is None:
            lines.append(f"{name}: only after ({b['rows']} rows)")
        elif b is None:
            lines.append(f"{name}: only before ({a['rows']} rows)")
        elif a != b:
            what = []
            if a["columns"] != b["columns"]:
                what.append(f"columns {sorted(set(a['columns']) ^ set(b['columns']))}")
            if a["rows"] != b["rows"]:
                what.append(f"rows {a['rows']} -> {b['rows']}")
            elif a["hash"] != b["hash"]:
                what.append("same row count, different rows")
            lines.append(f"{name}: " + "; ".join(what))
    return lines


def warehouse_fingerprints(path: Path, schemas=DEFAULT_SCHEMAS, exclude_columns: dict | None = None) -> dict:
    from warehouse.db import connect

    con = connect(path, read_only=True)
    try:
        return table_fingerprints(con, schemas, exclude_columns)
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    """`python -m warehouse.fingerprint DB [--schemas a,b] [--save F] [--compare F]`."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("database", type=Path)
    parser.add_argument("--schemas", default=",".join(DEFAULT_SCHEMAS))
    parser.add_argument("--save", type=Path)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args(argv)
    prints = warehouse_fingerprints(args.database, tuple(s for s in args.schemas.split(",") if s))
    if args.save:
        args.save.write_text(json.dumps(prints, indent=1, sort_keys=True), encoding="utf-8")
    print(f"{len(prints)} tables, {sum(p['rows'] for p in prints.values())} rows")
    if args.compare:
        diff = differences(json.loads(args.compare.read_text(encoding="utf-8")), prints)
        print("\n".join(diff) if diff else "identical")
        return 1 if diff else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
