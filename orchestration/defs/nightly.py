"""The night as one Dagster run: load -> raw checks -> dbt -> disclosure repair -> exchange
packages -> published copy, for the cities of the sensor's (or the nightly schedule's) request.

A Dagster run holds one partitioning: the job is partitioned by city (the raw load and its
checks), the rest is unpartitioned and runs in the same run. The exchange packages are
partitioned by city x quarter, so the job writes them through `nightly_exchange_packages`, an
unpartitioned step that exports the city-quarters the run's load changed and records a
materialization of each `exchange_package` partition it wrote.

What the load changed travels in the run's tags (set by the raw step, see
`orchestration.increments.tag_run_changes`): the UI shows them on the run, and the later
steps read them back (the dbt step does nothing on a night without changes, the exchange step
exports the changed city-quarters only).
"""

import dagster as dg

from orchestration.defs.dbt import DBT_MODEL_ASSETS, NIGHTLY_JOB
from orchestration.defs.disclosure import disclosure_repair
from orchestration.defs.partitions import QUARTER_PARTITIONS, WRITER_POOL
from orchestration.resources import WarehouseResource


@dg.asset(
    deps=[*DBT_MODEL_ASSETS, disclosure_repair],
    group_name="exchange",
    pool=WRITER_POOL,
    kinds={"duckdb", "parquet"},
    description="The exchange packages of the city-quarters a nightly run's load changed (the run's "
    "`increment/*` tags), each recorded as a materialization of its `exchange_package` partition. "
    "Outside a nightly run there is nothing to export.",
)
def nightly_exchange_packages(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from orchestration.defs.exchange import exchange_package, export_city_quarter
    from orchestration.increments import night_quarters, run_changes

    changes = run_changes(context, warehouse.warehouse_path())
    tags = context.instance.get_run_by_id(context.run.run_id).tags
    pairs = night_quarters(changes, QUARTER_PARTITIONS.get_partition_keys(), tags)
    for city, quarter in pairs:
        metadata = export_city_quarter(context, warehouse, city, quarter)
        context.log_event(
            dg.AssetMaterialization(
                asset_key=exchange_package.key,
                partition=dg.MultiPartitionKey({"city": city, "quarter": quarter}),
                metadata={**metadata, "nightly_run": context.run.run_id},
            )
        )
    return dg.MaterializeResult(
        metadata={
            "packages": len(pairs),
            "city_quarters": ", ".join(f"{c} {q}" for c, q in pairs) or "none (nothing changed in this run)",
        }
    )


def nightly_selection() -> dg.AssetSelection:
    """The assets of a night: the raw load with its checks, the dbt models downstream of the raw
    city tables (not those reading the official tables alone), the disclosure repair, the
    exchange packages of the changed city-quarters and the published copy."""
    from orchestration.defs.estimates import warehouse_models
    from orchestration.defs.ingest import RAW_KEYS, raw_city_deliveries
    from orchestration.defs.publish import published_warehouse

    raw = dg.AssetSelection.assets(raw_city_deliveries)
    models = dg.AssetSelection.assets(*RAW_KEYS.values()).downstream(include_self=False) & warehouse_models()
    rest = dg.AssetSelection.assets(disclosure_repair, nightly_exchange_packages, published_warehouse)
    return raw | (models | rest).without_checks()


nightly_increment_job = dg.define_asset_job(
    NIGHTLY_JOB,
    selection=nightly_selection(),
    description="One night of one city (or a range of cities) as one run: load, raw checks, the dbt models "
    "(only the changed cities recomputed by the city_incremental models), disclosure repair, the changed "
    "city-quarters' exchange packages, the published copy. The changed (city, source, period) are the run's tags.",
)

defs = dg.Definitions(assets=[nightly_exchange_packages], jobs=[nightly_increment_job])
