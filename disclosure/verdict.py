"""The repair's verdict, reusable by the publish step while nothing it judged has changed.

The disclosure_repair step audits every cell table of the warehouse; publish copies those tables
and would audit the copy a second time. A verdict is recorded with a fingerprint: a SHA-256 over
the rule version, every cell the audit reads (key, flags, suppression reason and family, the
published numbers: the cells and the suppression pattern), the columns the audit reads of the
tables beside the cell layout (register vs official, retention curves, Dunkelziffer estimates,
and the city layer's tables behind them: disclosure.periods, .curves, .side) and the city
layer's true values.
Publish computes the fingerprint of the copy it is about to publish; where it equals the
recorded one of a verdict of 0 breakable, that verdict stands (the same input gives the same
audit). Any change after the repair (a reopened cell, a re-run of dbt without the repair, other
true values, other rules) gives another fingerprint, and the copy is audited again.

The record stays in the city layer (meta.disclosure_verdict of the warehouse): a hash and counts,
never a value.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from disclosure import curves, periods, side
from disclosure.extra_cells import table_columns, table_exists, truth_prefix
from disclosure.relations import CELL_TABLES, TRUTH, _read, _truth

# Bump with every change to what the audit concludes from the same cells: the relations derived
# (disclosure.relations), the cell kinds, the protection rule or the LP (disclosure.lp). A
# verdict of another rule version is never reused.
RULE_VERSION = "2026-12-04.2"  # .2: the relations beside the cell layout
VERDICT = "meta.disclosure_verdict"


@dataclass(frozen=True)
class Verdict:
    fingerprint: str
    rule_version: str
    ok: bool
    headline: str


def fingerprint(con, truth: str = TRUTH, tables=CELL_TABLES) -> str:
    """SHA-256 of the rule version, the cells of `tables` as the audit reads them (in the
    connection's own file) and the true values of `truth` (none where it cannot be read)."""
    h = hashlib.sha256(f"rules {RULE_VERSION}\n".encode())
    for table, has_district in tables:
        _hash_rows(h, f"table {table}", _read(con, table, has_district))
    for table, columns in _side_tables(truth):
        name = ".".join(table.split(".")[-2:])  # without the catalog: the same table wherever it is read
        if not table_exists(con, table):
            h.update(f"side {name} absent\n".encode())
            continue
        read = sorted(columns & table_columns(con, table))
        _hash_rows(h, f"side {name} {read}", con.execute(f"select {', '.join(read)} from {table}").fetchall())
    _hash_rows(h, "truth", _truth(con, truth).items())
    return h.hexdigest()


def _hash_rows(h, header: str, rows) -> None:
    """The rows in a fixed order (their repr sorted), after a header with their count."""
    lines = sorted(repr(r) for r in rows)
    h.update(f"{header} {len(lines)}\n".encode())
    for line in lines:
        h.update(line.encode())
        h.update(b"\n")


def _side_tables(truth: str) -> list[tuple[str, set[str]]]:
    """(table, the columns the side modules read) of every table beside the cell layout; the
    city layer's tables behind them in the database of `truth` (as the audit finds them)."""
    prefix = truth_prefix(truth)
    estimates = side.READ | set(side.ESTIMATE_COLUMNS)
    return [
        *((t, periods.READ) for t in periods.REGISTER_TABLES),
        (prefix + periods.REGISTER_TRUTH, periods.READ),
        *((t, curves.READ) for t in curves.CURVE_TABLES),
        *((t, estimates) for t in side.DUNKELZIFFER_TABLES),
        (prefix + side.DUNKELZIFFER_TRUTH, estimates),
        (side.OFFICIAL, {"city_key", "year", "nationality", "boundary", "zuzuege", "fortzuege", "rounded"}),
    ]


def record(con, fp: str, ok: bool, headline: str) -> None:
    """Keep the verdict of the audit of the tables whose fingerprint is `fp` (one row: the last)."""
    con.execute("create schema if not exists meta")
    con.execute(
        f"""create or replace table {VERDICT} (recorded_at timestamp, fingerprint varchar,
            rule_version varchar, ok boolean, headline varchar)"""
    )
    con.execute(
        f"insert into {VERDICT} values (?, ?, ?, ?, ?)",
        [datetime.now(UTC).replace(tzinfo=None), fp, RULE_VERSION, ok, headline],
    )


def recorded(con, catalog: str | None = None) -> Verdict | None:
    """The recorded verdict (of the attached database `catalog`, default the connection's own)."""
    relation = f"{catalog}.{VERDICT}" if catalog else VERDICT
    try:
        row = con.execute(f"select fingerprint, rule_version, ok, headline from {relation}").fetchone()
    except Exception:  # no repair has recorded a verdict in this file
        return None
    return Verdict(*row) if row else None


def reusable(con, fp: str, catalog: str | None = None) -> Verdict | None:
    """The recorded verdict when it judged exactly these cells under these rules and found 0
    breakable; else None (audit again)."""
    v = recorded(con, catalog)
    if v is None or not v.ok or v.rule_version != RULE_VERSION or v.fingerprint != fp:
        return None
    return v
