"""What changed since the last check: fingerprints of (city, raw table) and of the check setup.

A fingerprint is the row count and an order-free hash of every row of a city's raw table
(`sum(hash(row))`; not `bit_xor`: DuckDB combines field hashes so that a value shared by an
even number of rows cancels out under XOR): a new `_vN`, a new period, a removed period or
an edited row all change it. `meta.quality_checked` (owned by quality) keeps the fingerprint each check kind last saw:

- `suites`, `profile`: per (city, table), together with the city's `gebiete` (district
  validity depends on it);
- `completeness`, `reconciliation`, `plausibility`: per city, over all its tables;
- the setup (suite files, tolerances, code lists, city configs) is part of every fingerprint:
  when it changes, every city and table is checked again.

A unit whose fingerprint is unchanged is not checked again: its results and gate rows from
the last check stay as they are (the record keeps them; `python -m quality status` reads the
latest check per city and asset). A unit whose check could not run is never marked as seen.
`--full` (`full=True`) checks everything regardless.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import polars as pl

from ingest.schemas import create_meta_tables
from ingest.sources import DISTRICT_REFERENCE

STATE_DDL = """CREATE TABLE IF NOT EXISTS meta.quality_checked (
    kind VARCHAR NOT NULL, city VARCHAR NOT NULL, asset VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL, checked_at TIMESTAMP NOT NULL, run_id VARCHAR)"""
PER_TABLE = ("suites", "profile")


def data_fingerprints(con, tables: list[str]) -> dict[tuple[str, str], str]:
    """(city, table) -> 'rows:hash' of every raw table in `tables` (and gebiete)."""
    out = {}
    for table in sorted(set(tables) | {DISTRICT_REFERENCE}):
        for city, n, h in con.execute(
            f"SELECT city, count(*), sum(hash(t)::HUGEINT) FROM raw.{table} t GROUP BY ALL"
        ).fetchall():
            out[(city, table)] = f"{n}:{h}"
    return out


def setup_fingerprint(suite_dir) -> str:
    """Everything besides the data that decides a verdict."""
    from ingest.config import load_cities
    from quality.raw_suites import expectation_params
    from quality.suites import SUITE_DIR
    from quality.tolerances import TOLERANCES_FILE

    digest = hashlib.sha256()
    for path in sorted((suite_dir or SUITE_DIR).glob("*.json")) + [TOLERANCES_FILE]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(repr(expectation_params()).encode())
    digest.update(repr(sorted((k, repr(v)) for k, v in load_cities().items())).encode())
    return digest.hexdigest()


def unit_fingerprints(data: dict[tuple[str, str], str], kind: str, setup: str) -> dict[tuple[str, str], str]:
    """(city, asset) -> fingerprint of one check unit of `kind` (asset '*' for per-city kinds)."""

    def digest(*parts: str) -> str:
        return hashlib.sha256("|".join((setup, *parts)).encode()).hexdigest()

    if kind in PER_TABLE:
        return {(c, t): digest(t, fp, data.get((c, DISTRICT_REFERENCE), "-")) for (c, t), fp in data.items()}
    by_city: dict[str, list[str]] = {}
    for (c, t), fp in sorted(data.items()):
        by_city.setdefault(c, []).append(f"{t} {fp}")
    return {(c, "*"): digest(*v) for c, v in by_city.items()}


def load_state(con) -> dict[tuple[str, str, str], str]:
    create_meta_tables(con)
    con.execute(STATE_DDL)
    return {
        (k, c, a): fp
        for k, c, a, fp in con.execute("SELECT kind, city, asset, fingerprint FROM meta.quality_checked").fetchall()
    }


def save_state(con, seen: dict[tuple[str, str, str], str | None], run_id: str) -> None:
    """Replace the fingerprints of the units checked (None: unit gone or not to be trusted),
    in one DELETE and one INSERT."""
    now = datetime.now()
    rows = pl.DataFrame(
        [(k, c, a, fp, now, run_id) for (k, c, a), fp in seen.items()],
        schema={
            "kind": pl.String,
            "city": pl.String,
            "asset": pl.String,
            "fingerprint": pl.String,
            "checked_at": pl.Datetime("us"),
            "run_id": pl.String,
        },
        orient="row",
    )
    con.register("_seen_units", rows.to_arrow())
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "DELETE FROM meta.quality_checked q WHERE EXISTS (SELECT 1 FROM _seen_units s "
            "WHERE s.kind = q.kind AND s.city = q.city AND s.asset = q.asset)"
        )
        con.execute(
            "INSERT INTO meta.quality_checked (kind, city, asset, fingerprint, checked_at, run_id) "
            "SELECT * FROM _seen_units WHERE fingerprint IS NOT NULL"
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_seen_units")
