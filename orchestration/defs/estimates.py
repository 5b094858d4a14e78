"""The Dunkelziffer estimates as a Dagster asset between two parts of the dbt graph.

Thin: the work is `estimation.in_engine.write_estimates` (read the staging rows each city's
estimates use through the engine of the switch, estimate in Python, write
`marts.fct_dunkelziffer_estimates` back; on DuckDB only for the cities whose inputs changed, the
metadata says which). The asset's key is that of the dbt source the
downstream models read (`source('marts', 'fct_dunkelziffer_estimates')`), so the graph runs
staging -> estimates -> the estimate marts, exchange and alliance models (the two dbt ops of
orchestration/defs/dbt.py around it).
"""

import dagster as dg

from orchestration.defs.dbt import AFTER_UPSTREAM_UPDATE, DBT_MODEL_ASSETS, model_key
from orchestration.defs.partitions import WRITER_POOL
from orchestration.resources import WarehouseResource

ESTIMATES_KEY = dg.AssetKey(["marts", "fct_dunkelziffer_estimates"])
# the staging models estimation.warehouse.DEFAULT_RELATIONS reads
STAGING_READ = (
    "stg_bestand__persons",
    "stg_schule__pupils",
    "stg_sgb2__persons",
    "stg_beratung__contacts",
    "stg_meldewesen__events",
    "stg_wohnen__problem_properties",
)


@dg.asset(
    key=ESTIMATES_KEY,
    deps=[model_key(name) for name in STAGING_READ],
    group_name="dunkelziffer",
    pool=WRITER_POOL,
    kinds={"python"},
    automation_condition=AFTER_UPSTREAM_UPDATE,
    description="Dunkelziffer estimates of every method per city x nationality group x age band, district "
    "and problem properties (estimation/METHODS.md), estimated in Python from the staging rows each "
    "city's reference date uses, read through the engine (DuckDB or Spark) and written back there.",
)
def dunkelziffer_estimates(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from estimation.in_engine import write_estimates
    from orchestration.dbt_project import estimates_code_version
    from warehouse.engine import engine

    run = write_estimates(warehouse.warehouse_path(), estimates_code_version())
    context.log.info(f"estimates on {engine()}: {run.mode} ({run.reason}): {', '.join(run.cities) or 'no city'}")
    return dg.MaterializeResult(
        metadata={
            "engine": engine(),
            "increment_mode": run.mode,
            "increment_reason": run.reason,
            "recomputed_cities": ", ".join(run.cities),
            "rows": run.rows,
        }
    )


def warehouse_models() -> dg.AssetSelection:
    """The models of the warehouse: the dbt models and the estimates between them."""
    return dg.AssetSelection.assets(*DBT_MODEL_ASSETS, dunkelziffer_estimates)


defs = dg.Definitions(assets=[dunkelziffer_estimates])
