"""dbt models as Dagster assets.

Sources map onto the assets that write them: `raw.X` -> ["raw", X] (city ingest),
`raw_official.X` -> ["raw_official", X] (official tables). dbt runs in the writer pool and is
materialised by the nightly cron condition once its upstream raw data were refreshed.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.dbt_project import dbt_project
from orchestration.defs.ingest import WRITER_POOL

NIGHTLY = dg.AutomationCondition.on_cron("0 2 * * *", cron_timezone="Europe/Berlin")


class WarehouseTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]):
        return NIGHTLY


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=WarehouseTranslator(),
    pool=WRITER_POOL,
)
def warehouse_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()


defs = dg.Definitions(
    assets=[warehouse_dbt_models],
    resources={"dbt": DbtCliResource(project_dir=dbt_project)},
)
