"""Raw-layer assets: one multi-asset over all raw tables, partitioned by city.

Thin wrappers around `ingest.load.load_landing`. Every asset that writes the warehouse runs in
the `duckdb_writer` pool (limit 1 in dagster.yaml), because DuckDB admits one writer process.
"""

import hashlib
import json
import logging
from pathlib import Path

import dagster as dg

from ingest import sources
from ingest.config import load_cities
from ingest.schemas import COLUMNS, GEOMETRY_FORM, GEOMETRY_TABLE, TABLES
from orchestration.defs.partitions import CITY_PARTITIONS, WRITER_POOL
from orchestration.resources import WarehouseResource

RAW_KEYS = {table: dg.AssetKey(["raw", table]) for table in (*COLUMNS, GEOMETRY_TABLE)}
SOURCE_OF_TABLE = {table: source for (source, _form), table in TABLES.items()} | {GEOMETRY_TABLE: "gebiete"}


class _DagsterLogHandler(logging.Handler):
    """Forwards the `ingest` logger (progress, quarantine reasons) to the run log."""

    def __init__(self, context: dg.AssetExecutionContext):
        super().__init__(level=logging.INFO)
        self.context = context

    def emit(self, record: logging.LogRecord) -> None:
        msg = self.format(record)
        if record.levelno >= logging.ERROR:
            self.context.log.error(msg)
        elif record.levelno >= logging.WARNING:
            self.context.log.warning(msg)
        else:
            self.context.log.info(msg)


def _description(table: str) -> str:
    if table == GEOMETRY_TABLE:  # not a dialect table: every city delivers the same GeoJSON
        return "District boundaries (spec 3.8), reprojected to EPSG:3035 and stored as WKB."
    return sources.table(table).description


def _quarantine_table(outcomes) -> str:
    rows = ["| file | line | reason |", "|---|---|---|"]
    for o in outcomes:
        reason = (o.reason or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| {o.file} | {o.line or ''} | {reason} |")
    return "\n".join(rows)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            group_name="raw",
            kinds={"duckdb", "polars"},
            description=f"{_description(table)} Raw `{table}` deliveries of every city "
            f"(source `{SOURCE_OF_TABLE[table]}`), normalised to the standard dialect, with provenance per row.",
        )
        for table, key in RAW_KEYS.items()
    ],
    partitions_def=CITY_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WRITER_POOL,
    can_subset=False,
    name="raw_city_deliveries",
)
def raw_city_deliveries(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Load every new delivery of the run's cities from the landing folder into the raw layer."""
    from ingest.load import load_landing  # keeps definition loading light

    cities = list(context.partition_keys)
    handler = _DagsterLogHandler(context)
    logger = logging.getLogger("ingest")
    logger.addHandler(handler)
    try:
        summary = load_landing(
            landing_dir=warehouse.landing_path(),
            warehouse=warehouse.warehouse_path(),
            cities=cities,
            log=lambda _msg: None,
        )
    finally:
        logger.removeHandler(handler)

    from ingest.load import outcome_line

    quarantined = [o for o in summary.outcomes if o.status == "quarantined"]
    for o in quarantined:
        context.log.error(f"quarantined {o.file} (line {o.line or '-'}): {o.reason}")
    # the run succeeds (the warehouse is fine); a failure of the warehouse itself raises instead
    outcome = outcome_line(summary)
    (context.log.warning if quarantined else context.log.info)(f"{', '.join(cities)}: {outcome}")
    from orchestration.increments import changes_of_loads, increment_metadata, tag_run_changes

    changes = changes_of_loads(warehouse.warehouse_path(), [summary.run_id])
    # on the run itself: the UI shows what the night changed, the run's later steps read it
    tag_run_changes(context, summary.run_id, changes)
    for table, key in RAW_KEYS.items():
        mine = [o for o in summary.outcomes if _table_of(o) == table]
        loaded = [o for o in mine if o.status == "loaded"]
        bad = [o for o in mine if o.status == "quarantined"]
        metadata = {
            "city": ", ".join(cities),
            "outcome": outcome,
            "deliveries_loaded": len(loaded),
            "rows_loaded": sum(o.rows or 0 for o in loaded),
            "deliveries_superseded": sum(o.status == "superseded" for o in mine),
            "deliveries_duplicate": sum(o.status == "duplicate" for o in mine),
            "deliveries_quarantined": len(bad),
            "deliveries_pending": sum(o.status == "pending" for o in mine),
        }
        if bad:
            metadata["quarantine"] = dg.MetadataValue.md(_quarantine_table(bad))
        # the (city, source, period) this load changed: what the nightly increment recomputes
        metadata |= increment_metadata([c for c in changes if c["raw_table"] == table])
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)


def _table_of(outcome) -> str | None:
    if outcome.form == GEOMETRY_FORM:
        return GEOMETRY_TABLE
    return TABLES.get((outcome.source, outcome.form or ""))


raw_load_job = dg.define_asset_job(
    "load_city_deliveries",
    selection=dg.AssetSelection.assets(raw_city_deliveries),
    description="Load the new deliveries of one city (partition) into the raw layer.",
)


def landing_fingerprints(root: Path) -> dict[str, str]:
    """Per city, a hash of the names, sizes and modification times of its delivery files."""
    prints: dict[str, str] = {}
    for city in load_cities():
        base = root / city
        if not base.is_dir():
            continue
        h = hashlib.sha256()
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            st = path.stat()
            h.update(f"{path.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        prints[city] = h.hexdigest()[:16]
    return prints


@dg.sensor(
    job_name="nightly_increment",  # orchestration/defs/nightly.py: the whole night as one run
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Notices new or changed files under the landing folder and runs that city's night (load, "
    "checks, dbt, disclosure repair, exchange packages, publish) as one run. Without a "
    "cursor (first start, or a reset) it compares the landing folder with the delivery registry of "
    "the warehouse, so a loaded warehouse starts with no run queued.",
)
def new_deliveries_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    current = landing_fingerprints(warehouse.landing_path())
    if context.cursor:
        previous = json.loads(context.cursor)
        changed = sorted(city for city, fp in current.items() if previous.get(city) != fp)
    else:
        # No cursor: what the registry has not seen, not everything (a first tick on a loaded
        # warehouse would otherwise reload every city).
        import duckdb

        from ingest.registry import unregistered_files

        try:
            new = unregistered_files(warehouse.landing_path(), warehouse.warehouse_path())
        except duckdb.IOException as exc:  # a writer holds the warehouse: try again next tick
            return dg.SkipReason(f"warehouse busy, registry not readable now: {exc}")
        changed = sorted(city for city in new if city in current)
        for city in changed:
            context.log.info(f"{city}: {len(new[city])} file(s) not in the registry, e.g. {new[city][0]}")
    context.update_cursor(json.dumps(current, sort_keys=True))
    if not changed:
        return dg.SkipReason("no new or changed delivery files")
    return [dg.RunRequest(run_key=f"{city}:{current[city]}", partition_key=city) for city in changed]


@dg.schedule(
    job_name="nightly_increment",
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Berlin",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Nightly at 02:00 Berlin time: every city's night (load everything new and what follows), "
    "one run per city.",
)
def nightly_load_schedule(context: dg.ScheduleEvaluationContext):
    stamp = context.scheduled_execution_time.strftime("%Y-%m-%d")
    for city in CITY_PARTITIONS.get_partition_keys():
        yield dg.RunRequest(run_key=f"nightly:{stamp}:{city}", partition_key=city)


defs = dg.Definitions(
    assets=[raw_city_deliveries],
    jobs=[raw_load_job],
    sensors=[new_deliveries_sensor],
    schedules=[nightly_load_schedule],
)
