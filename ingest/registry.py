"""`meta.delivery_registry`: every delivery file seen and its fate.

Read once per run into memory (thousands of rows at most); rows are written inside the same
transaction as the raw data they describe.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

REGISTRY = "meta.delivery_registry"


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


class RegistryState:
    """What the registry knows: rows by file, files by hash, loaded version per period."""

    def __init__(self, rows: list[Entry]):
        self.by_file: dict[str, list[Entry]] = {}
        self.by_sha: dict[str, str] = {}
        self.loaded: dict[tuple, Entry] = {}
        for e in rows:
            self.remember(e)

    @classmethod
    def read(cls, con) -> "RegistryState":
        rows = con.execute(
            f"SELECT delivery_file, file_sha256, status, city, source, form, period, version "
            f"FROM {REGISTRY} ORDER BY registered_at").fetchall()
        return cls([Entry(*r) for r in rows])

    def remember(self, e: Entry) -> None:
        entries = self.by_file.setdefault(e.delivery_file, [])
        entries[:] = [x for x in entries if x.file_sha256 != e.file_sha256] + [e]
        self.by_sha.setdefault(e.file_sha256, e.delivery_file)
        if e.status == "loaded":
            self.loaded[(e.city, e.source, e.form, e.period)] = e


def write_entry(con, *, delivery_file: str, file_sha256: str, status: str, city=None, source=None,
                form=None, period=None, version=None, size_bytes=None, received_at=None,
                reason=None, line=None, rows=None, loaded_at=None, superseded_by=None,
                now: datetime) -> None:
    """Insert or replace the row of (delivery_file, file_sha256) (a pending file gets resolved)."""
    con.execute(f"DELETE FROM {REGISTRY} WHERE delivery_file = ? AND file_sha256 = ?",
                [delivery_file, file_sha256])
    con.execute(
        f"INSERT INTO {REGISTRY} (delivery_file, city, source, form, period, version, file_sha256, "
        f"size_bytes, received_at, registered_at, status, reason, line, rows, loaded_at, superseded_by) "
        f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [delivery_file, city, source, form, period, version, file_sha256, size_bytes, received_at,
         now, status, reason, line, rows, loaded_at, superseded_by])


def mark_superseded(con, old_file: str, old_sha: str, new_file: str) -> None:
    con.execute(f"UPDATE {REGISTRY} SET status = 'superseded', superseded_by = ? "
                f"WHERE delivery_file = ? AND file_sha256 = ?", [new_file, old_file, old_sha])
