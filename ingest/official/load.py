"""Load official tables from `LANDING_DIR/official/<provider>/<file>` into `raw_official`.

Idempotent and atomic per file: the same bytes twice change nothing; changed bytes under the same
name replace that file's rows in one transaction; a file that fails to parse loads nothing and is
registered as `failed` with the reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from ingest.official.cbs import parse_cbs
from ingest.official.city_open import parse_city
from ingest.official.decoding import EncodingError, decode
from ingest.official.genesis_classic import parse_classic
from ingest.official.genesis_flat import is_zip, parse_flat, parse_metadata
from ingest.official.records import ParsedFile, ParseError
from ingest.official.schema import NOTE_COLUMNS, SCHEMA, VALUE_COLUMNS, create_official_tables
from warehouse.db import connect

PROVIDERS = ("genesis", "cbs", "city")
_PL_TYPES = {
    "VARCHAR": pl.String,
    "INTEGER": pl.Int32,
    "DOUBLE": pl.Float64,
    "DATE": pl.Date,
    "BOOLEAN": pl.Boolean,
    "TIMESTAMP": pl.Datetime("us"),
}


@dataclass(frozen=True)
class FileResult:
    file: str
    status: str  # loaded | replaced | unchanged | failed
    value_rows: int = 0
    reason: str | None = None


def parse_file(provider: str, name: str, data: bytes, rel: str) -> ParsedFile:
    """Pick the parser from the provider folder and the file's content (never from position)."""
    if provider == "genesis":
        if name.endswith(".json"):
            return parse_metadata(data, rel)
        if is_zip(data) or data.lstrip(b"\xef\xbb\xbf").startswith(b"statistics_code;"):
            return parse_flat(data, rel)
        text, encoding = decode(data)
        return parse_classic(text, rel, encoding)
    if provider == "cbs":
        return parse_cbs(data, rel)
    if provider == "city":
        return parse_city(data, rel)
    raise ParseError(f"unknown provider folder {provider!r}; expected one of {PROVIDERS}")


def _frame(rows: list[dict], columns: dict[str, str], loaded_at: datetime) -> pl.DataFrame:
    schema = {c: _PL_TYPES[t.split()[0]] for c, t in columns.items()}
    data = [{**{c: r.get(c) for c in columns}, "loaded_at": loaded_at} for r in rows]
    return pl.DataFrame(data, schema=schema)


def official_files(landing: Path) -> list[tuple[str, Path]]:
    """(provider, path) of every file under landing/official/<provider>/, sorted."""
    root = landing / "official"
    out = []
    for provider in PROVIDERS:
        d = root / provider
        if d.is_dir():
            out += [(provider, p) for p in sorted(d.iterdir()) if p.is_file() and not p.name.startswith(".")]
    return out


def _register(
    con, rel, provider, source, table, sha, size, encoding, stand, status, reason, n_values, n_notes, now
) -> None:
    con.execute(
        f"INSERT INTO {SCHEMA}.files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            rel,
            provider,
            source,
            table,
            sha,
            size,
            encoding,
            stand,
            status,
            reason,
            n_values,
            n_notes,
            now,
            now if status == "loaded" else None,
        ],
    )


def load_file(con, landing: Path, provider: str, path: Path, force: bool = False) -> FileResult:
    rel = path.relative_to(landing).as_posix()
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    seen = con.execute(
        f"SELECT status, reason, value_rows FROM {SCHEMA}.files WHERE file = ? AND sha256 = ?", [rel, sha]
    ).fetchone()
    if seen and not force:
        status, reason, n = seen
        # same bytes again: nothing to do (a failed file fails again, so it is reported again)
        return FileResult(rel, "unchanged" if status == "loaded" else status, n or 0, reason)
    now = datetime.now()
    try:
        parsed = parse_file(provider, path.name, data, rel)
    except (ParseError, EncodingError) as exc:
        if not seen:  # a forced re-parse that fails keeps the earlier load and its registry row
            _register(con, rel, provider, None, None, sha, len(data), None, None, "failed", str(exc), 0, 0, now)
        return FileResult(rel, "failed", 0, str(exc))
    values = _frame(parsed.values, VALUE_COLUMNS, now)
    notes = _frame(parsed.notes, NOTE_COLUMNS, now)
    replaced = (
        con.execute(f"SELECT count(*) FROM {SCHEMA}.files WHERE file = ? AND status = 'loaded'", [rel]).fetchone()[0]
        > 0
    )
    replaced = replaced or bool(seen)
    con.execute("BEGIN TRANSACTION")
    try:
        if seen:  # force: the same bytes parsed again (a parser fix); the new registry row replaces the old
            con.execute(f"DELETE FROM {SCHEMA}.files WHERE file = ? AND sha256 = ?", [rel, sha])
        con.execute(f"DELETE FROM {SCHEMA}.values WHERE file = ?", [rel])
        con.execute(f"DELETE FROM {SCHEMA}.notes WHERE file = ?", [rel])
        con.execute(f"UPDATE {SCHEMA}.files SET status = 'superseded' WHERE file = ? AND status = 'loaded'", [rel])
        con.register("_official_values", values.to_arrow())
        con.register("_official_notes", notes.to_arrow())
        con.execute(f"INSERT INTO {SCHEMA}.values BY NAME SELECT * FROM _official_values")
        con.execute(f"INSERT INTO {SCHEMA}.notes BY NAME SELECT * FROM _official_notes")
        _register(
            con,
            rel,
            provider,
            parsed.source,
            parsed.table_code,
            sha,
            len(data),
            parsed.encoding,
            parsed.stand,
            "loaded",
            None,
            values.height,
            notes.height,
            now,
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_official_values")
        con.unregister("_official_notes")
    return FileResult(rel, "replaced" if replaced else "loaded", values.height)


def load_official(landing_dir: Path | str, warehouse: Path | str, force: bool = False) -> list[FileResult]:
    """Load every official file under landing_dir/official into the warehouse; one result per file.

    force=True parses files again even if their bytes were loaded before (after a parser change)."""
    landing = Path(landing_dir).resolve()
    warehouse = Path(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = connect(warehouse)
    try:
        create_official_tables(con)
        return [load_file(con, landing, provider, path, force) for provider, path in official_files(landing)]
    finally:
        con.close()
