"""Contract of the official raw layer (schema `raw_official`, dbt source `raw_official`).

One long table holds every published value of every official table, whatever its format:
- `values`: one row per published cell. Dimensions the marts need everywhere (sex, nationality,
  age group) are columns with a fixed vocabulary; any other dimension goes into `dims` (JSON object
  label -> category label). A cell that is not a number keeps its symbol (`value_symbol`) and the
  reason it is missing (`missing_reason`); `value` is NULL then, except for `-` (exactly 0).
- `notes`: footnotes and metadata of a file (they explain breaks and known errors).
- `files`: registry of every file seen (sha256, detected encoding, status and reason).
"""

from __future__ import annotations

SCHEMA = "raw_official"

# Column -> DuckDB type, in table order.
VALUE_COLUMNS: dict[str, str] = {
    "table_code": "VARCHAR",  # e.g. 12411-01-01-4, 12531-0043, 1000A-0000, 37230ned
    "statistic_code": "VARCHAR",  # GENESIS statistic (12411) or CBS table id
    "source": "VARCHAR",  # genesis-flat | genesis-classic | cbs | city
    "file": "VARCHAR",  # path relative to the landing directory
    "source_line": "INTEGER",  # line of the cell's row in the (decoded) file
    "region_code": "VARCHAR",  # normalised: DG, 2-digit Land, 5-digit Kreis, 8-digit AGS, GMxxxx, NL01, PVxx
    "region_level": "VARCHAR",  # country | land | kreis | gemeinde | stadtbezirk | province
    "region_name": "VARCHAR",  # as published, indentation removed
    "period_type": "VARCHAR",  # reference_date | year | school_year | month
    "period_date": "DATE",  # reference date, or last day of a year/month; NULL for school years
    "period_year": "INTEGER",  # calendar year (school year: year it starts)
    "measure": "VARCHAR",  # what is counted, as labelled (column header / value_variable_label / CBS key)
    "measure_code": "VARCHAR",  # value_variable_code (flat) or CBS key without version suffix; NULL in classic files
    "sex": "VARCHAR",  # insgesamt | maennlich | weiblich
    "nationality": "VARCHAR",  # insgesamt | deutsch | auslaendisch | STAAG:<code> (single country)
    "age_group": "VARCHAR",  # insgesamt or the published label (e.g. '18 bis unter 25 Jahre')
    "dims": "VARCHAR",  # JSON object of further dimensions, '{}' if none
    "column_label": "VARCHAR",  # classic files: the combined header text of the column
    "value": "DOUBLE",  # NULL when missing; '-' gives 0
    "value_symbol": "VARCHAR",  # the cell text when it was a symbol or carried a flag, else NULL
    "missing_reason": "VARCHAR",  # unknown_or_secret | later | not_reliable | blocked | empty | NULL
    "quality_flag": "VARCHAR",  # p | r | s | e | () | NULL (as published)
    "rounded": "BOOLEAN",  # value rounded to a multiple of 5 at the source: sums are not exact
    "unit": "VARCHAR",  # Anzahl, per 1 000, ...
    "basis_note": "VARCHAR",  # population basis / series the value stands on (e.g. Zensus 2011)
    "loaded_at": "TIMESTAMP",
}

NOTE_COLUMNS: dict[str, str] = {
    "table_code": "VARCHAR",
    "file": "VARCHAR",
    "note_no": "INTEGER",  # order in the file
    "kind": "VARCHAR",  # footnote | copyright | stand | metadata | source_line
    "scope": "VARCHAR",  # 'gesamte Tabelle' or the column the note is about
    "subject": "VARCHAR",  # text before the first ':' of a footnote, e.g. 'Nordrhein-Westfalen (2014)'
    "note_text": "VARCHAR",  # the note with line breaks joined
    "loaded_at": "TIMESTAMP",
}

FILE_COLUMNS: dict[str, str] = {
    "file": "VARCHAR NOT NULL",  # path relative to the landing directory
    "provider": "VARCHAR",  # genesis | cbs | city (folder under official/)
    "source": "VARCHAR",  # genesis-flat | genesis-classic | genesis-metadata | cbs | city
    "table_code": "VARCHAR",
    "sha256": "VARCHAR NOT NULL",
    "size_bytes": "BIGINT",
    "encoding": "VARCHAR",  # utf-8-sig | utf-8 | cp1252 (as detected, never assumed)
    "stand": "VARCHAR",  # publication timestamp as printed in the file, if any
    "status": "VARCHAR NOT NULL",  # loaded | failed
    "reason": "VARCHAR",  # why a file failed
    "value_rows": "BIGINT",
    "note_rows": "BIGINT",
    "registered_at": "TIMESTAMP NOT NULL",
    "loaded_at": "TIMESTAMP",
}

MISSING_REASONS = {"unknown_or_secret", "later", "not_reliable", "blocked", "empty"}


def _ddl(name: str, cols: dict[str, str], extra: str = "") -> str:
    body = ",\n  ".join(f"{c} {t}" for c, t in cols.items())
    if extra:
        body += f",\n  {extra}"
    return f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{name} (\n  {body}\n)"


def create_official_tables(con) -> None:
    """Create the (empty) raw_official schema. Idempotent."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    con.execute(_ddl("values", VALUE_COLUMNS))
    con.execute(_ddl("notes", NOTE_COLUMNS))
    con.execute(_ddl("files", FILE_COLUMNS, "PRIMARY KEY (file, sha256)"))
