"""The planners' read-only copy: rebuilt after the dbt models, swapped in atomically."""

import dagster as dg

from orchestration.defs.dbt import AFTER_UPSTREAM_UPDATE, DBT_MODEL_ASSETS
from orchestration.defs.disclosure import disclosure_repair
from orchestration.defs.partitions import WRITER_POOL
from orchestration.resources import WarehouseResource


@dg.asset(
    deps=[*DBT_MODEL_ASSETS, disclosure_repair],
    group_name="publish",
    pool=WRITER_POOL,
    kinds={"duckdb", "parquet"},
    automation_condition=AFTER_UPSTREAM_UPDATE,
    description="Read-only DuckDB file and Parquet for planners: disclosure-controlled tables and the "
    "indicator catalogue only. Built next to the old one and swapped in with os.replace, so "
    "readers never see a half state and never block the nightly load.",
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from orchestration.publish import publish

    summary = publish(warehouse.warehouse_path(), warehouse.published_path())
    context.log.info(f"published {len(summary.get('tables', {}))} tables to {summary.get('target')}")
    return dg.MaterializeResult(
        metadata={
            "target": str(summary.get("target")),
            "tables": dg.MetadataValue.json(summary.get("tables", {})),
            "synthetic": bool(summary.get("synthetic")),
        }
    )


defs = dg.Definitions(assets=[published_warehouse])
