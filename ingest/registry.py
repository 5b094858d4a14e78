"""`meta.delivery_registry`: every delivery file seen and its fate.

Read once per run into memory (thousands of rows at most); rows are written inside the same
transaction as the raw data they describe (see `ingest.batch`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

REGISTRY = "meta.delivery_registry"
# Columns of a registry row as written by ingest (DDL: ingest.schemas.META_TABLES_SQL).
REGISTRY_SCHEMA: dict[str, pl.DataType] = {
    "delivery_file": pl.String,
    "city": pl.String,
    "source": pl.String,
    "form": pl.String,
    "period": pl.String,
    "version": pl.Int32,
    "file_sha256": pl.String,
    "size_bytes": pl.Int64,
    "received_at": pl.Datetime("us"),
    "registered_at": pl.Datetime("us"),
    "status": pl.String,
    "reason": pl.String,
    "line": pl.Int32,
    "rows": pl.Int64,
    "loaded_at": pl.Datetime("us"),
    "superseded_by": pl.String,
}


@dataclass
class Entry:
    delivery_file: str
    file_sha256: str
    status: str
    city: str | None = None
    source: str | None = None
    form: str | None = None
    period: str | None = None
    version: int | None = None
    rows: int | None = None


class RegistryState:
    """What the registry knows: rows by file, files by hash, loaded version per period."""

    def __init__(self, rows: list[Entry]):
        self.by_file: dict[str, list[Entry]] = {}
        self.by_sha: dict[str, str] = {}
        self.loaded: dict[tuple, Entry] = {}
        for e in rows:
            self.remember(e)

    @classmethod
    def read(cls, con) -> RegistryState:
        rows = con.execute(
            f"SELECT delivery_file, file_sha256, status, city, source, form, period, version, rows "
            f"FROM {REGISTRY} ORDER BY registered_at"
        ).fetchall()
        return cls([Entry(*r) for r in rows])

    def remember(self, e: Entry) -> None:
        entries = self.by_file.setdefault(e.delivery_file, [])
        entries[:] = [x for x in entries if x.file_sha256 != e.file_sha256] + [e]
        if e.status != "duplicate":  # a duplicate is never the original of anything
            self.by_sha.setdefault(e.file_sha256, e.delivery_file)
        if e.status == "loaded":
            self.loaded[(e.city, e.source, e.form, e.period)] = e


def registry_row(
    *,
    delivery_file: str,
    file_sha256: str,
    status: str,
    now: datetime,
    city=None,
    source=None,
    form=None,
    period=None,
    version=None,
    size_bytes=None,
    received_at=None,
    reason=None,
    line=None,
    rows=None,
    loaded_at=None,
    superseded_by=None,
) -> dict:
    """One row of the registry (written by `ingest.batch.WriteBatch.flush`)."""
    return dict(
        delivery_file=delivery_file,
        city=city,
        source=source,
        form=form,
        period=period,
        version=version,
        file_sha256=file_sha256,
        size_bytes=size_bytes,
        received_at=received_at,
        registered_at=now,
        status=status,
        reason=reason,
        line=line,
        rows=rows,
        loaded_at=loaded_at,
        superseded_by=superseded_by,
    )


def unregistered_files(landing, warehouse) -> dict[str, list[str]]:
    """Per city, the delivery files below `landing` the registry of `warehouse` does not know by
    name, size and modification time (or knows only as pending): what a load would still have to
    look at. Without a warehouse (or a registry) every file is unregistered. Compares metadata
    only, never the bytes, so it stays cheap on a landing folder of many gigabytes; a file whose
    name, size and time are all unchanged is taken as the one registered (deliveries are immutable,
    and the loader quarantines a file changed in place)."""
    from pathlib import Path

    from ingest.load import _registry_name, scan_landing
    from warehouse.db import connect

    landing, warehouse = Path(landing), Path(warehouse)
    known: set[tuple[str, int, datetime]] = set()
    if warehouse.exists():
        con = connect(warehouse, read_only=True)
        try:
            present = con.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = 'meta' AND table_name = 'delivery_registry'"
            ).fetchone()[0]
            if present:
                known = {
                    (f, s, r)
                    for f, s, r in con.execute(
                        f"SELECT delivery_file, size_bytes, received_at FROM {REGISTRY} WHERE status <> 'pending'"
                    ).fetchall()
                }
        finally:
            con.close()
    known_names = {f for f, _s, _r in known}
    new: dict[str, list[str]] = {}
    for path in scan_landing(landing) if landing.is_dir() else []:
        rel = _registry_name(path.relative_to(landing).as_posix())
        try:
            st = path.lstat() if path.is_symlink() else path.stat()
        except OSError:  # vanished since the scan
            continue
        size = 0 if path.is_symlink() else st.st_size
        stamp = datetime.fromtimestamp(st.st_mtime)
        if path.is_symlink() and rel in known_names:
            continue  # a link is registered by its text, not its time
        if (rel, size, stamp) not in known:
            new.setdefault(rel.split("/")[0], []).append(rel)
    return new
