"""The planners' dashboards: rebuilt from the published copy after every publish.

Thin: the work is `reports.dashboard.build_all` (one HTML file per alliance and per city). It
reads the published copy only, so it needs no writer slot.
"""

import dagster as dg

from orchestration.defs.dbt import AFTER_UPSTREAM_UPDATE
from orchestration.defs.publish import published_warehouse
from orchestration.resources import WarehouseResource


@dg.asset(
    deps=[published_warehouse],
    group_name="reports",
    kinds={"html"},
    automation_condition=AFTER_UPSTREAM_UPDATE,
    description="Self-contained HTML dashboards (per alliance and per city) from the published copy: "
    "time series, district maps, tables with flags, catalogue texts in de/nl/en, CSV of the selection.",
)
def planners_dashboards(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from reports.dashboard import build_all

    paths = build_all(warehouse.published_path(), warehouse.reports_path())
    for p in paths:
        context.log.info(f"dashboard {p} ({p.stat().st_size / 1e6:.1f} MB)")
    return dg.MaterializeResult(
        metadata={
            "dashboards": dg.MetadataValue.json({f"{p.parent.name}/{p.name}": p.stat().st_size for p in paths}),
            "n_dashboards": len(paths),
        }
    )


defs = dg.Definitions(assets=[planners_dashboards])
