"""Write batches: checked deliveries wait here and are committed together.

Why batches: a DuckDB commit costs an fsync (~5 ms), an INSERT from Arrow ~3 ms and a registry
row ~2 ms whatever their size, and the demo world has ~3,500 mostly small files, so writing
every file in its own transaction spent most of the load on fixed costs.

Why this keeps every delivery atomic: a delivery enters the batch only after it passed every
check, complete (its rows, the deletion of the period's old rows, its registry row and the
supersession of the version it replaces). One transaction writes the whole batch, so each
delivery is either entirely in (new rows, registry `loaded`) or entirely out (old rows and old
registry state) - a database error or a crash rolls the batch back and the next run, being
idempotent, picks the same files up again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl
import pyarrow as pa

from ingest.registry import REGISTRY, REGISTRY_SCHEMA
from ingest.schemas import RAW_SCHEMA

# Rows held before the batch is written: bounds memory (~250 MB of movement rows), while a
# batch of small files still shares one commit.
MAX_BATCH_ROWS = 1_000_000


ROW_GROUP_ROWS = 122_880  # DuckDB's row-group size


def insert_frame(con, table: str, frame: pl.DataFrame, schema: str = RAW_SCHEMA) -> None:
    """Insert through Arrow; `CompatLevel.oldest()` exports plain large_string buffers instead of
    string views, which DuckDB's Arrow scan takes without conversion."""
    # The provenance strings repeat one value per delivery: as dictionary (Categorical) columns
    # DuckDB's Arrow scan takes them without materialising a million copies of the same string.
    constant = [
        c
        for c in ("city", "delivery_file", "file_sha256", "delivery_period")
        if c in frame.columns and frame.schema[c] == pl.String
    ]
    if constant:
        frame = frame.with_columns(pl.col(constant).cast(pl.Categorical))
    arrow = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
    # DuckDB scans one Arrow record batch on one thread: batches of a row group's size let the
    # insert use every core (measured: half the insert time for a million rows).
    arrow = pa.Table.from_batches(arrow.to_batches(max_chunksize=ROW_GROUP_ROWS), schema=arrow.schema)
    con.register("_delivery", arrow)
    try:
        con.execute(f"INSERT INTO {schema}.{table} BY NAME SELECT * FROM _delivery")
    finally:
        con.unregister("_delivery")


@dataclass
class WriteBatch:
    max_rows: int = MAX_BATCH_ROWS
    frames: dict[str, list[pl.DataFrame]] = field(default_factory=dict)
    replaced: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # table -> (city, period)
    registry: dict[tuple[str, str], dict] = field(default_factory=dict)  # (file, sha) -> row
    superseded: list[tuple[str, str, str]] = field(default_factory=list)  # old file, old sha, new file
    ids: dict[str, list[pl.DataFrame]] = field(default_factory=dict)  # city -> ereignis_id, delivery_file
    changes: list[dict] = field(default_factory=list)  # rows of meta.raw_changes
    load_id: str | None = None
    rows: int = 0

    @property
    def full(self) -> bool:
        return self.rows >= self.max_rows

    def holds(self, table: str, city: str, period: str) -> bool:
        return (city, period) in self.replaced.get(table, set())

    def add_delivery(self, table: str, city: str, period: str, frame: pl.DataFrame) -> None:
        """Rows of one delivery; the period's rows already in the table go at the flush."""
        self.replaced.setdefault(table, set()).add((city, period))
        self.frames.setdefault(table, []).append(frame)
        self.rows += frame.height
        if table == "meldewesen":
            self.ids.setdefault(city, []).append(frame.select("ereignis_id", "delivery_file"))

    def change(self, row: dict) -> None:
        """What a delivery of the batch changes (a row of meta.raw_changes, see CHANGES_SCHEMA)."""
        self.changes.append({**row, "load_id": self.load_id})

    def pending_ids(self, city: str) -> pl.DataFrame | None:
        """`ereignis_id`, `delivery_file` of the city's movement rows waiting in the batch."""
        frames = self.ids.get(city)
        if not frames:
            return None
        if len(frames) > 1:  # concatenated once, kept: the next check reuses it
            frames[:] = [pl.concat(frames, rechunk=True)]
        return frames[0]

    def pending_periods(self, table: str, city: str) -> list[str]:
        return sorted(p for c, p in self.replaced.get(table, set()) if c == city)

    def register(self, row: dict) -> None:
        """A registry row; a later row for the same (file, sha) replaces an earlier one."""
        self.registry[(row["delivery_file"], row["file_sha256"])] = row

    def supersede(self, old_file: str, old_sha: str, new_file: str) -> None:
        row = self.registry.get((old_file, old_sha))
        if row is not None:  # registered in this batch: change it here
            row.update(status="superseded", superseded_by=new_file)
        else:
            self.superseded.append((old_file, old_sha, new_file))

    def empty(self) -> bool:
        return not (self.frames or self.replaced or self.registry or self.superseded or self.changes)

    def flush(self, con, insert: Callable = insert_frame) -> None:
        """Write everything in one transaction (rolled back on any error), then start afresh."""
        if self.empty():
            return
        con.execute("BEGIN TRANSACTION")
        try:
            for table, periods in self.replaced.items():
                _delete_periods(con, table, periods)
            for table, frames in self.frames.items():
                insert(con, table, pl.concat(frames, how="vertical", rechunk=False))
            _write_registry(con, list(self.registry.values()))
            _write_changes(con, self.changes)
            for old_file, old_sha, new_file in self.superseded:
                con.execute(
                    f"UPDATE {REGISTRY} SET status = 'superseded', superseded_by = ? "
                    f"WHERE delivery_file = ? AND file_sha256 = ?",
                    [new_file, old_file, old_sha],
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        self.frames, self.replaced, self.registry, self.superseded, self.ids = {}, {}, {}, [], {}
        self.changes = []
        self.rows = 0


def _delete_periods(con, table: str, periods: set[tuple[str, str]]) -> None:
    keys = pl.DataFrame(sorted(periods), schema={"city": pl.String, "delivery_period": pl.String}, orient="row")
    con.register("_replaced", keys.to_arrow(compat_level=pl.CompatLevel.oldest()))
    try:
        con.execute(
            f"DELETE FROM {RAW_SCHEMA}.{table} t USING _replaced r "
            f"WHERE t.city = r.city AND t.delivery_period = r.delivery_period"
        )
    finally:
        con.unregister("_replaced")


CHANGES = "meta.raw_changes"
CHANGES_SCHEMA: dict[str, pl.DataType] = {
    "city": pl.String,
    "source": pl.String,
    "form": pl.String,
    "raw_table": pl.String,
    "period": pl.String,
    "version": pl.Int32,
    "change_kind": pl.String,
    "delivery_file": pl.String,
    "replaced_file": pl.String,
    "load_id": pl.String,
    "changed_at": pl.Datetime("us"),
}


def _write_changes(con, rows: list[dict]) -> None:
    """The change record of the batch's deliveries, in the batch's transaction: a change is recorded
    exactly when its rows are in."""
    if not rows:
        return
    frame = pl.DataFrame(rows, schema=CHANGES_SCHEMA)
    con.register("_changes", frame.to_arrow(compat_level=pl.CompatLevel.oldest()))
    try:
        con.execute(f"INSERT INTO {CHANGES} BY NAME SELECT * FROM _changes")
    finally:
        con.unregister("_changes")


def _write_registry(con, rows: list[dict]) -> None:
    """Insert or replace the registry rows (a pending file's row gets resolved)."""
    if not rows:
        return
    frame = pl.DataFrame(rows, schema=REGISTRY_SCHEMA)
    con.register("_registry", frame.to_arrow(compat_level=pl.CompatLevel.oldest()))
    try:
        con.execute(
            f"DELETE FROM {REGISTRY} t USING _registry r "
            f"WHERE t.delivery_file = r.delivery_file AND t.file_sha256 = r.file_sha256"
        )
        con.execute(f"INSERT INTO {REGISTRY} BY NAME SELECT * FROM _registry")
    finally:
        con.unregister("_registry")
