"""Load every city delivery of the landing directory into the raw layer.

`load_landing()` scans the landing folder, registers every file in `meta.delivery_registry` and
loads the current version of each (city, source, form, period). A delivery is checked
completely in memory first; then its rows, the deletion of the period's old rows, its registry
row and the supersession of the old version go into a write batch (`ingest.batch`) that is
committed in one DuckDB transaction, so a failure leaves every delivery in its previous state.
Unchanged files are recognised by (path, SHA-256) and skipped, which makes a second run over
the same landing directory change nothing but the `meta.load_runs` log.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from ingest import batch as write_batch
from ingest import config
from ingest.batch import WriteBatch, insert_frame
from ingest.content_rules import check_content, check_text_fields
from ingest.dialects import read_delivery
from ingest.errors import DeliveryError, PendingDelivery, WarehouseFailure
from ingest.geometry import read_geometry
from ingest.isolation import TransientError, describe, guarded
from ingest.layout import NON_CITY_ENTRIES, DeliveryName, LayoutError, parse_delivery_path
from ingest.limits import batch_rows, check_file_size, check_row_count, check_text_lines, limits_for
from ingest.normalise import to_canonical
from ingest.registry import Entry, RegistryState, registry_row
from ingest.schemas import GEOMETRY_FORM, META_SCHEMA, RAW_SCHEMA, create_raw_tables
from ingest.validate import Context, needs_gebiete, validate
from warehouse import settings
from warehouse.db import connect

logger = logging.getLogger("ingest")
SYNTHETIC_MARKER = "DEMO_SYNTHETIC_DATA.txt"
STATUSES = ("loaded", "superseded", "duplicate", "quarantined", "pending")


@dataclass
class FileOutcome:
    file: str
    city: str | None
    source: str | None
    form: str | None
    period: str | None
    version: int | None
    status: str
    reason: str | None = None
    line: int | None = None
    rows: int | None = None


@dataclass
class LoadSummary:
    run_id: str
    synthetic: bool
    outcomes: list[FileOutcome] = field(default_factory=list)
    unchanged: int = 0  # files already registered with the same bytes (nothing to do)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def loaded(self) -> int:
        return self.count("loaded")

    @property
    def superseded(self) -> int:
        return self.count("superseded")

    @property
    def duplicate(self) -> int:
        return self.count("duplicate")

    @property
    def quarantined(self) -> int:
        return self.count("quarantined")

    @property
    def pending(self) -> int:
        return self.count("pending")


@dataclass
class Candidate:
    rel: str
    path: Path
    sha: str
    size: int
    received_at: datetime
    name: DeliveryName | None = None
    layout_error: str | None = None
    pending_row: bool = False  # registered as pending before: retried


def scan_landing(landing: Path) -> list[Path]:
    """Delivery files below the landing directory (official tables and marker files excluded).

    Symbolic links are listed but never followed into a folder: the loader quarantines a link
    that leads out of the landing folder (and every link to a folder) instead of reading
    whatever it points to. FIFOs, sockets and devices are no deliveries and are not listed.
    """
    files = []
    for root, dirs, names in os.walk(landing, followlinks=False):
        here = Path(root)
        top = here == landing
        dirs[:] = [d for d in dirs if not d.startswith(".") and not (top and d in NON_CITY_ENTRIES)]
        linked = [d for d in dirs if (here / d).is_symlink()]
        files += [here / d for d in linked]
        dirs[:] = [d for d in dirs if d not in linked]
        if top:
            continue  # loose files in the root (README, marker files) are not deliveries
        for name in names:
            path = here / name
            if not name.startswith(".") and (path.is_symlink() or path.is_file()):
                files.append(path)
    return sorted(files)


def _registry_name(rel: str) -> str:
    """The path as the registry can store it: a name that is not valid UTF-8 (kept by Python as
    surrogates) is shown with backslash escapes."""
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _link_problem(path: Path, landing: Path) -> str | None:
    """Why a symbolic link is no delivery: a quarantine reason, or for a link to a file inside
    the landing folder 'duplicate:<reason>' (the file itself is the delivery)."""
    target = os.readlink(path)
    if path.is_dir():
        return f"symbolic link to a folder ({target!r}): not followed, deliveries must be regular files"
    real = Path(os.path.realpath(path))
    try:
        inside = real.relative_to(os.path.realpath(landing)).as_posix()
    except ValueError:
        return f"symbolic link pointing outside the landing folder ({target!r}): not read"
    if not real.is_file():
        return f"symbolic link to no regular file ({target!r})"
    return f"duplicate:symbolic link to {inside} (the delivery is that file, not the link)"


_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-sha256")


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


class _Loader:
    def __init__(self, con, landing: Path, cities: dict, log: Callable[[str], None] | None):
        self.con, self.landing, self.cities, self.hook = con, landing, cities, log
        self.state = RegistryState.read(con)
        self.outcomes: list[FileOutcome] = []
        self.unchanged = 0
        self.stats: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0])
        # the batch writes, timed apart: a flush is triggered by whichever delivery fills the
        # batch, so its seconds would otherwise land on that delivery's source
        self.writes = [0, 0, 0.0]  # transactions, rows, seconds
        self.batch = WriteBatch(max_rows=batch_rows(write_batch.MAX_BATCH_ROWS))
        self.twins: dict[str, list[Candidate]] = defaultdict(list)  # original -> same bytes, this run
        self.twin_of: dict[str, str] = {}  # sha -> the file of this run that is the original
        self.releases = _releases(con)
        self.gebiete: dict[str, pl.DataFrame] = {}  # per city: bezirk_code, gueltig_ab, gueltig_bis
        self.reference: dict[str, pl.DataFrame] = {}  # per city: the same with ebene (geometry checks)
        self.id_ranges: dict[str, tuple] = {}  # per city: (min, max) ereignis_id in the table

    # -- messages ---------------------------------------------------------------------------
    def say(self, msg: str, level: int = logging.INFO) -> None:
        logger.log(level, msg)
        if self.hook is not None:
            self.hook(msg)

    # -- bookkeeping ------------------------------------------------------------------------
    def record(
        self,
        c: Candidate,
        status: str,
        reason=None,
        line=None,
        rows=None,
        loaded_at=None,
        superseded_by=None,
        write=True,
    ) -> None:
        n = c.name
        fields = dict(
            city=n.city if n else (c.rel.split("/")[0]),
            source=n.source if n else None,
            form=n.form if n else None,
            period=n.period if n else None,
            version=n.version if n else None,
        )
        if write:
            self.batch.register(
                registry_row(
                    delivery_file=c.rel,
                    file_sha256=c.sha,
                    status=status,
                    size_bytes=c.size,
                    received_at=c.received_at,
                    reason=reason,
                    line=line,
                    rows=rows,
                    loaded_at=loaded_at,
                    superseded_by=superseded_by,
                    now=datetime.now(),
                    **fields,
                )
            )
        self.state.remember(
            Entry(
                c.rel,
                c.sha,
                status,
                fields["city"],
                fields["source"],
                fields["form"],
                fields["period"],
                fields["version"],
                rows,
            )
        )
        self.outcomes.append(FileOutcome(c.rel, status=status, reason=reason, line=line, rows=rows, **fields))
        if status == "quarantined":
            where = f" line {line}" if line else ""
            self.say(f"quarantined {c.rel}{where}: {reason}", logging.WARNING)
        # Files with the same bytes are recorded as its duplicates only now, in the same write
        # batch as the original's own row: a duplicate row committed before its original (a
        # crash between two batches) would make the rerun take the original for the copy.
        for twin in self.twins.pop(c.rel, []):
            self.record(twin, "duplicate", f"same bytes as {c.rel}", write=write)

    # -- classification without reading the contents ------------------------------------------
    def classify(self, paths: Iterable[Path], city_filter, source_filter) -> list[Candidate]:
        todo: list[Candidate] = []
        for path in paths:
            rel = _registry_name(path.relative_to(self.landing).as_posix())
            if city_filter and rel.split("/")[0] not in city_filter:
                continue
            try:
                if rel != path.relative_to(self.landing).as_posix():
                    raise LayoutError("file name is not valid UTF-8")
                name, err = parse_delivery_path(rel, self.cities), None
            except LayoutError as exc:
                name, err = None, str(exc)
            if source_filter and name is not None and name.source not in source_filter:
                continue
            try:
                link = _link_problem(path, self.landing) if path.is_symlink() else None
                if link is not None:  # registered by the link's text, never read through it
                    text = os.readlink(path)
                    c = Candidate(rel, path, _sha256_hex(f"symlink:{text}".encode()), 0, datetime.now(), name, err)
                else:
                    stat = path.stat()
                    c = Candidate(
                        rel, path, file_sha256(path), stat.st_size, datetime.fromtimestamp(stat.st_mtime), name, err
                    )
            except OSError as exc:  # vanished or unreadable since the scan: reported, tried again next run
                c = Candidate(rel, path, "", 0, datetime.now(), name, err)
                self.record(
                    c, "quarantined", f"file cannot be read now ({describe(exc)}); tried again next run", write=False
                )
                continue
            known = self.state.by_file.get(rel, [])
            same = [e for e in known if e.file_sha256 == c.sha]
            if same:
                if same[0].status == "pending" and name is not None:
                    c.pending_row = True
                    todo.append(c)
                else:
                    self.unchanged += 1
                continue
            if link is not None and link.startswith("duplicate:"):
                self.record(c, "duplicate", link.removeprefix("duplicate:"))
            elif link is not None:
                self.record(c, "quarantined", link)
            elif known:
                self.record(
                    c,
                    "quarantined",
                    "file changed in place (same name, new bytes): "
                    "deliveries are immutable, send a corrected _vN instead",
                )
            elif err:
                self.record(c, "quarantined", f"file name does not fit the layout: {err}")
            elif c.size == 0:
                self.record(c, "quarantined", "empty file (0 bytes)")
            elif c.sha in self.state.by_sha:
                self.record(c, "duplicate", f"same bytes as {self.state.by_sha[c.sha]}")
            elif c.sha in self.twin_of:
                self.twins[self.twin_of[c.sha]].append(c)  # recorded together with its original
            else:
                self.twin_of[c.sha] = rel
                todo.append(c)
        return todo

    # -- loading ----------------------------------------------------------------------------
    def run(self, todo: list[Candidate]) -> None:
        by_city: dict[str, list[Candidate]] = defaultdict(list)
        for c in todo:
            by_city[c.name.city].append(c)
        for city in sorted(by_city):
            groups: dict[tuple, list[Candidate]] = defaultdict(list)
            for c in by_city[city]:
                groups[c.name.period_key].append(c)
            # gebiete first: the other sources are checked against it
            for key in sorted(groups, key=lambda k: (k[1] != "gebiete", k[1], k[2], k[3])):
                self.load_period(key, sorted(groups[key], key=lambda c: -c.name.version))
            for (c_city, source), (files, rows, secs) in sorted(self.stats.items()):
                if c_city == city:
                    self.say(f"{city:<12} {source:<25} {files:>5} files {rows:>12,} rows {secs:7.1f} s")
        self.flush()
        n, rows, secs = self.writes
        self.say(f"batch writes: {n} transactions {rows:>12,} rows {secs:7.1f} s")

    def flush(self) -> None:
        # `_insert_frame` is looked up here, at call time, so a test can make it fail
        flushed = {city: self.batch.pending_ids(city) for city in self.batch.ids if city in self.id_ranges}
        t0, rows, empty = time.perf_counter(), self.batch.rows, self.batch.empty()
        try:
            self.batch.flush(self.con, _insert_frame)
        except Exception as exc:  # rolled back: every delivery of the batch is as before
            raise WarehouseFailure(
                f"writing a batch of {len(self.batch.registry)} deliveries failed: {describe(exc)}"
            ) from exc
        if not empty:
            self.writes = [self.writes[0] + 1, self.writes[1] + rows, self.writes[2] + time.perf_counter() - t0]
        for city, ids in flushed.items():  # widen the known range instead of a new query (slow at 10M rows)
            lo, hi = self.id_ranges[city]
            new_lo, new_hi = ids["ereignis_id"].min(), ids["ereignis_id"].max()
            self.id_ranges[city] = (
                new_lo if lo is None else min(lo, new_lo),
                new_hi if hi is None else max(hi, new_hi),
            )

    def loaded_id_range(self, city: str) -> tuple:
        """(min, max) of the city's ereignis_id in raw.meldewesen, (None, None) if none; read once
        per run and widened by every flush. A replaced period may leave it wider than the table:
        it only ever says "may overlap" too often, never too rarely."""
        if city not in self.id_ranges:
            self.id_ranges[city] = self.con.execute(
                f"SELECT min(ereignis_id), max(ereignis_id) FROM {RAW_SCHEMA}.meldewesen WHERE city = ?", [city]
            ).fetchone()
        return self.id_ranges[city]

    def load_period(self, key: tuple, versions: list[Candidate]) -> None:
        """Highest version first: it replaces what is loaded, lower ones are superseded."""
        for c in versions:
            current = self.state.loaded.get(key)
            if current is not None and c.name.version < current.version:
                self.record(
                    c,
                    "superseded",
                    f"version {c.name.version} arrived after version {current.version}",
                    superseded_by=current.delivery_file,
                )
                continue
            if current is not None and c.name.version == current.version:
                self.record(
                    c,
                    "quarantined",
                    f"version conflict: {current.delivery_file} is "
                    f"already loaded as version {current.version} of this period",
                )
                continue
            t0, written_s = time.perf_counter(), self.writes[2]
            try:
                rows = self.load_one(c, current)
            except DeliveryError as exc:
                self.record(c, "quarantined", exc.reason, exc.line)
                continue
            except TransientError as exc:
                self.record(c, "quarantined", f"file cannot be read now ({exc}); tried again next run", write=False)
                continue
            except (duckdb.Error, WarehouseFailure):
                raise  # the warehouse itself failed: not this delivery's fault, the run stops
            except PendingDelivery as exc:
                if c.pending_row:  # still waiting: leave the registry row as it is
                    self.record(c, "pending", str(exc), write=False)
                else:
                    self.record(c, "pending", str(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - anything else a delivery raises is its quarantine
                self.record(c, "quarantined", f"delivery could not be loaded: {describe(exc)}")
                continue
            stat = self.stats[(c.name.city, c.name.table)]
            stat[0] += 1
            stat[1] += rows
            stat[2] += time.perf_counter() - t0 - (self.writes[2] - written_s)

    def load_one(self, c: Candidate, current: Entry | None) -> int:
        n, city = c.name, self.cities[c.name.city]
        lim = limits_for(n.city, n.table)
        check_file_size(c.size, lim)
        # read from the warehouse here, never inside the guarded work (which may be given up)
        if n.form == GEOMETRY_FORM:  # boundaries: GeoJSON, checked against the gebiete reference
            reference = self.reference_of(n.city)
            if reference.height == 0:
                raise PendingDelivery(f"waiting for the gebiete reference of {n.city}")
            frame = guarded(lambda: _read_geometry(c, reference), lim.timeout_seconds)
        else:
            gebiete = self.gebiete_of(n.city) if needs_gebiete(n.table) else None
            frame = guarded(lambda: _read_and_check(c, n, city, lim, gebiete), lim.timeout_seconds)
        if current is not None and (c.rel, c.sha) not in self.releases:
            _check_replacement(frame.height, current, c, lim)
        if n.table == "meldewesen":
            check_ids_against_loaded(self.con, frame, n, self.batch, self.loaded_id_range(n.city))
        now = datetime.now()
        frame = frame.with_columns(
            pl.lit(n.city).alias("city"),
            pl.lit(c.rel).alias("delivery_file"),
            pl.lit(c.sha).alias("file_sha256"),
            pl.lit(n.period).alias("delivery_period"),
            pl.lit(n.version, pl.Int32).alias("delivery_version"),
            pl.lit(c.received_at, pl.Datetime("us")).alias("received_at"),
            pl.lit(now, pl.Datetime("us")).alias("loaded_at"),
        )
        self.write(c, frame, current, now)
        if n.table == "gebiete":
            self.gebiete[n.city] = frame.select("bezirk_code", "gueltig_ab", "gueltig_bis")
            self.reference[n.city] = frame.select("bezirk_code", "ebene", "gueltig_ab", "gueltig_bis")
        return frame.height

    def gebiete_of(self, city: str) -> pl.DataFrame:
        """The city's district reference, read once per run (or taken from this run's load)."""
        if city not in self.gebiete:
            self.gebiete[city] = self.reference_of(city).select("bezirk_code", "gueltig_ab", "gueltig_bis")
        return self.gebiete[city]

    def reference_of(self, city: str) -> pl.DataFrame:
        """The same with levels (what a geometry delivery is checked against)."""
        if city not in self.reference:
            self.reference[city] = self.con.execute(
                f"SELECT bezirk_code, ebene, gueltig_ab, gueltig_bis FROM {RAW_SCHEMA}.gebiete WHERE city = ?", [city]
            ).pl()
        return self.reference[city]

    def write(self, c: Candidate, frame: pl.DataFrame, current: Entry | None, now: datetime) -> None:
        """Into the write batch as one unit: the period's new rows (replacing the old ones), the
        registry row, the supersession of the old version."""
        n = c.name
        if self.batch.holds(n.table, n.city, n.period):
            self.flush()  # never two deliveries of one period in a batch
        self.batch.add_delivery(n.table, n.city, n.period, frame)
        if current is not None:
            self.batch.supersede(current.delivery_file, current.file_sha256, c.rel)
        kind = "replacement" if current is not None else "new_gebiete" if n.source == "gebiete" else "new_period"
        self.batch.change(
            dict(
                city=n.city,
                source=n.source,
                form=n.form,
                raw_table=n.table,
                period=n.period,
                version=n.version,
                change_kind=kind,
                delivery_file=c.rel,
                replaced_file=current.delivery_file if current is not None else None,
                changed_at=now,
            )
        )
        self.record(c, "loaded", rows=frame.height, loaded_at=now)
        if current is not None:  # record() above already made the new file the loaded one
            current.status = "superseded"
            self.say(f"{c.rel} replaces {current.delivery_file}")
        if self.batch.full:
            self.flush()


def _read_and_check(c: Candidate, n: DeliveryName, city, lim, gebiete: pl.DataFrame | None) -> pl.DataFrame:
    """Bytes -> checked, typed frame: the pure part of a delivery (run under `guarded`)."""
    data = c.path.read_bytes()
    # the bytes read must be the bytes registered; hashlib releases the GIL, so a large
    # file is hashed on a second core while Polars parses it
    digest = _HASHER.submit(_sha256_hex, data) if len(data) > (4 << 20) else None
    try:
        if n.ext == "csv":
            check_text_lines(data, lim)
        text = read_delivery(data, n, city)
        check_row_count(text.height, lim)
        check_text_fields(text, lim)
        frame = to_canonical(text, n.table)
    finally:
        sha = digest.result() if digest is not None else _sha256_hex(data)
    if sha != c.sha:
        raise DeliveryError("file changed while being loaded")
    del data
    ctx = Context(n, city)
    if gebiete is not None:
        if gebiete.height == 0:
            raise PendingDelivery(f"waiting for the gebiete reference of {n.city}")
        ctx.gebiete = gebiete
    validate(frame, ctx)
    check_content(frame, ctx)
    return frame


def _read_geometry(c: Candidate, reference: pl.DataFrame) -> pl.DataFrame:
    """GeoJSON bytes -> reprojected, validated boundaries (ingest.geometry), under `guarded`."""
    data = c.path.read_bytes()
    if _sha256_hex(data) != c.sha:
        raise DeliveryError("file changed while being loaded")
    return read_geometry(data, reference)


def _check_replacement(rows: int, current: Entry, c: Candidate, lim) -> None:
    """A corrected version far shorter than the one in force looks cut off: it is held back
    (the old rows stay loaded) until someone releases it."""
    if not current.rows or max(rows, current.rows) < lim.replacement_min_basis:
        return
    ratio = rows / current.rows
    if ratio < lim.replacement_min_ratio:
        raise DeliveryError(
            f"{rows:,} records where version {current.version} in force has {current.rows:,} "
            f"(ratio {ratio:.2f} < {lim.replacement_min_ratio:g}, replacement_min_ratio): cut off? "
            f"{current.delivery_file} stays loaded; send a corrected version or release this file "
            f"(python -m ingest release {c.rel})"
        )


def _releases(con) -> set[tuple[str, str]]:
    return {
        (f, h)
        for f, h in con.execute(f"SELECT delivery_file, file_sha256 FROM {META_SCHEMA}.delivery_releases").fetchall()
    }


_insert_frame = insert_frame  # module attribute: the one place rows enter the raw tables


def _may_overlap(new_ids: pl.DataFrame, loaded_range: tuple | None) -> bool:
    """False only when the loaded ids are known and none can equal a new one (min/max pruning;
    strings compare bytewise in both Polars and DuckDB)."""
    if loaded_range is None:
        return True
    lo, hi = loaded_range
    if lo is None:
        return False  # nothing loaded for the city
    col = new_ids["ereignis_id"]
    return not (col.max() < lo or col.min() > hi)


def _ids_in_table(con, new_ids: pl.DataFrame, n: DeliveryName, batch: WriteBatch) -> list[tuple]:
    # periods the batch replaces: their rows in the table are about to go, the batch has the new ones
    skip = [n.period, *batch.pending_periods("meldewesen", n.city)]
    con.register("_new_ids", new_ids.to_arrow(compat_level=pl.CompatLevel.oldest()))
    try:
        hit = con.execute(
            f"SELECT n.ereignis_id, n.source_line, m.delivery_file FROM _new_ids n "
            f"JOIN {RAW_SCHEMA}.meldewesen m ON m.ereignis_id = n.ereignis_id "
            f"WHERE m.city = ? AND NOT list_contains(?::VARCHAR[], m.delivery_period) "
            f"ORDER BY n.source_line LIMIT 1",
            [n.city, skip],
        ).fetchone()
    finally:
        con.unregister("_new_ids")
    return [] if hit is None else [hit]


def check_ids_against_loaded(
    con, frame: pl.DataFrame, n: DeliveryName, batch: WriteBatch | None = None, loaded_range: tuple | None = None
) -> None:
    """`ereignis_id` is unique per city over all time, except in the period being replaced.

    Checked against the raw table and against the deliveries of the write batch not yet written.
    Cheap at 10M+ loaded rows: ids grow over time, so the new month's id range usually lies
    beyond `loaded_range` (min, max of the city's loaded ids) and the table is not read at all;
    otherwise DuckDB pushes the min/max of the new ids (build side of the join) into the scan
    of raw.meldewesen and skips row groups whose id range cannot match (`python -m ingest.bench`).
    """
    batch = batch or WriteBatch()
    new_ids = frame.select("ereignis_id", "source_line")
    hits = []
    if _may_overlap(new_ids, loaded_range):
        hits += _ids_in_table(con, new_ids, n, batch)
    pending = batch.pending_ids(n.city)
    if pending is not None:
        joined = new_ids.join(pending, on="ereignis_id").sort("source_line").head(1)
        if joined.height:
            hits.append(joined.row(0))
    if hits:
        first = min(hits, key=lambda h: h[1])
        raise DeliveryError(f"duplicate ereignis_id {first[0]!r}: already loaded from {first[2]}", first[1])


def load_landing(
    landing_dir=None, warehouse=None, cities=None, sources=None, log: Callable[[str], None] | None = None
) -> LoadSummary:
    """Register and load every delivery below `landing_dir` into `warehouse` (see module doc)."""
    landing = Path(landing_dir) if landing_dir else settings.landing_dir()
    wh = Path(warehouse) if warehouse else settings.warehouse_path()
    wh.parent.mkdir(parents=True, exist_ok=True)
    started = datetime.now()
    synthetic = (landing / SYNTHETIC_MARKER).exists()
    summary = LoadSummary(run_id=uuid.uuid4().hex, synthetic=synthetic)
    city_configs = config.load_cities()
    unknown = set(cities or ()) - set(city_configs)
    if unknown:
        raise ValueError(f"unknown city/cities: {sorted(unknown)}")
    con = connect(wh)
    try:
        create_raw_tables(con)
        loader = _Loader(con, landing, city_configs, log)
        loader.batch.load_id = summary.run_id
        paths = scan_landing(landing) if landing.is_dir() else []
        if not landing.is_dir():
            loader.say(f"landing directory {landing} does not exist", logging.WARNING)
        todo = loader.classify(paths, set(cities or ()), set(sources or ()))
        loader.run(todo)
        summary.outcomes, summary.unchanged = loader.outcomes, loader.unchanged
        con.execute(
            "INSERT INTO meta.load_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                summary.run_id,
                started,
                datetime.now(),
                str(landing),
                synthetic,
                summary.loaded,
                summary.superseded,
                summary.duplicate,
                summary.quarantined,
                summary.pending,
            ],
        )
    finally:
        con.close()
    loader.say(format_summary(summary))
    return summary


def outcome_line(s: LoadSummary) -> str:
    """What the run says in its last line (and the Dagster run in its metadata)."""
    return f"finished with {s.quarantined} quarantined" if s.quarantined else "finished"


def format_summary(s: LoadSummary) -> str:
    lines = [
        f"deliveries: {s.loaded} loaded, {s.superseded} superseded, {s.duplicate} duplicate, "
        f"{s.quarantined} quarantined, {s.pending} pending, {s.unchanged} unchanged"
        + (" (synthetic demo data)" if s.synthetic else "")
    ]
    for o in s.outcomes:
        if o.status in ("quarantined", "pending"):
            where = f" (line {o.line})" if o.line else ""
            lines.append(f"  {o.status}: {o.file}{where}: {o.reason}")
    lines.append(outcome_line(s))
    return "\n".join(lines)
