"""Exchange packages for the alliance hub: one asset partitioned by city x quarter.

Thin: the work is `orchestration.exchange.export_package` (disclosure re-check, Parquet files,
manifest with checksums, atomic folder swap) into the outbox of the `warehouse` resource
(EXCHANGE_OUTBOX_DIR, default data/exchange/outbox). It reads the warehouse
after the dbt build and runs in the writer pool, because DuckDB refuses even a read-only
connection while another process writes.

A city-quarter whose quality gate blocks a source is still exported, as fct_exchange_cells
does: the blocked source's cells are absent and the package's quality gate says why, so the
hub marks it blocked instead of missing. The run metadata and log name the blocks; a
city-quarter with nothing at all to export fails the run (a package that did not happen must
not look done).
"""

import datetime as dt

import dagster as dg

from orchestration.defs.dbt import DBT_MODEL_ASSETS
from orchestration.defs.disclosure import disclosure_repair
from orchestration.defs.partitions import CITY_PARTITIONS, EXCHANGE_PARTITIONS, WRITER_POOL
from orchestration.resources import WarehouseResource
from reports.schedule import previous_quarter


def latest_complete_quarter(today: dt.date | None = None) -> str:
    """The quarter that ended last before `today` (the one a nightly export hands on)."""
    return previous_quarter(today or dt.date.today())


@dg.asset(
    partitions_def=EXCHANGE_PARTITIONS,
    deps=[*DBT_MODEL_ASSETS, disclosure_repair],
    group_name="exchange",
    pool=WRITER_POOL,
    kinds={"duckdb", "parquet"},
    description="Exchange package of one city and quarter (schema "
    "orchestration.exchange.SCHEMA_VERSION): the disclosure-controlled exchange tables as "
    "Parquet plus manifest.json, written to EXCHANGE_OUTBOX_DIR/<city>_<quarter>/. Blocked "
    "sources travel as quality-gate rows without cells.",
)
def exchange_package(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    keys = context.partition_key.keys_by_dimension
    return dg.MaterializeResult(metadata=export_city_quarter(context, warehouse, keys["city"], keys["quarter"]))


def export_city_quarter(context, warehouse: WarehouseResource, city: str, quarter: str) -> dict:
    """Export one city-quarter's package and return the metadata Dagster records for it, scanned
    by the leak scan first (the exchange_package asset, and the nightly run's
    nightly_exchange_packages for the city-quarters it changed)."""
    from orchestration.exchange import PackageRejected, export_package, package_summary
    from reports.leakscan import json_problems, plain_metadata

    try:
        folder = export_package(city, quarter, warehouse.outbox_path(), warehouse.warehouse_path())
    except (ValueError, PackageRejected) as exc:  # nothing to export, or a disclosure violation
        raise dg.Failure(description=f"no exchange package for {city} {quarter}: {exc}") from exc
    summary = package_summary(folder)
    for block in summary["blocked"]:
        context.log.warning(f"{city} {quarter} blocked by the quality gate - {block}")
    context.log.info(f"{city} {quarter}: {summary['status']}, {summary['rows']} rows -> {folder}")
    metadata = {
        "path": dg.MetadataValue.path(summary["path"]),
        "package_id": summary["package_id"],
        "status": summary["status"],
        "files": dg.MetadataValue.json(summary["files"]),
        "rows": summary["rows"],
        "manifest_sha256": summary["manifest_sha256"],
        "blocked": dg.MetadataValue.json(summary["blocked"]),
        "synthetic": summary["synthetic"],
    }
    leaks = json_problems(plain_metadata(metadata), f"metadata of {city} {quarter}")
    if leaks:  # what Dagster records leaves the city layer too (the UI, the run storage)
        raise dg.Failure(description="run metadata not recorded, the leak scan found: " + "; ".join(leaks[:10]))
    return metadata


exchange_export_job = dg.define_asset_job("exchange_export_job", selection=[exchange_package])


@dg.schedule(
    job=exchange_export_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Europe/Berlin",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def exchange_export_schedule(context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource):
    """Every morning after the nightly build: the package of the latest complete quarter for every
    city that has one in the published copy. The run key carries the data version, so a city-quarter
    is exported again only when the data changed (e.g. a later _vN replaced a delivery)."""
    from orchestration.exchange import published_package_quarters

    quarter = latest_complete_quarter(context.scheduled_execution_time.date())
    cities, version = published_package_quarters(quarter, warehouse.published_path())
    known = set(CITY_PARTITIONS.get_partition_keys())
    cities = [c for c in cities if c in known]
    if not cities:
        return dg.SkipReason(f"no city has an exchange package for {quarter} in the published copy")
    return [
        dg.RunRequest(
            run_key=f"{city}|{quarter}|{version}",
            partition_key=dg.MultiPartitionKey({"city": city, "quarter": quarter}),
        )
        for city in cities
    ]


defs = dg.Definitions(assets=[exchange_package], jobs=[exchange_export_job], schedules=[exchange_export_schedule])
