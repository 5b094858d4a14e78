"""dbt models as Dagster assets.

Sources map onto the assets that write them: `raw.X` -> ["raw", X] (city ingest),
`raw_official.X` -> ["raw_official", X] (official tables). dbt runs in the writer pool and is
materialised by the nightly cron condition once its upstream raw data were refreshed. It builds
the warehouse of the `warehouse` resource (dbt reads it from the environment, see
orchestration/dbt_project.py); a failing model or test fails the step.

Automation (orchestration/defs/automation.py, on by default): a model is rebuilt once anything
it reads was updated (a night's load, a delivery the sensor noticed, an official table), as
soon as nothing upstream is still running; its dbt tests run with it. There is no cron of its
own: the loads decide when, so a landed month reaches the marts and the published copy after
its load without anyone starting a run.
"""

import functools
import operator
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, build_dbt_asset_selection, dbt_assets

from orchestration.dbt_project import ESTIMATES_DOWNSTREAM, dbt_project, finishing
from orchestration.defs.partitions import WRITER_POOL
from orchestration.resources import WarehouseResource, dbt_resource

NIGHTLY_JOB = "nightly_increment"  # orchestration/defs/nightly.py

# Like AutomationCondition.eager() without `~any_deps_missing`: a warehouse holds the partitions
# (cities) that delivered, never all of them, and a model reads every city partition of a raw table.
AFTER_UPSTREAM_UPDATE = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("after an upstream update")
# A check (dbt test, GX suite) runs whenever the asset it checks is built.
WITH_ITS_ASSET = dg.AutomationCondition.any_deps_updated().with_label("with its asset")


class WarehouseTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]):
        return AFTER_UPSTREAM_UPDATE

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        return spec if spec is None else spec._replace(automation_condition=WITH_ITS_ASSET)


# Two dbt ops around the Dunkelziffer estimates, which a Python asset writes between them
# (orchestration/defs/estimates.py): the models that do not read the estimates, and those that do
# (with their tests; a test that also reads a model of the first op runs in the second, once
# both are built). One op would wait on the estimates that wait on it.
_DBT_OP = {
    "manifest": dbt_project.manifest_path,
    "project": dbt_project,
    "dagster_dbt_translator": WarehouseTranslator(),
    "pool": WRITER_POOL,
}


@dbt_assets(**_DBT_OP, exclude=ESTIMATES_DOWNSTREAM)
def warehouse_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    yield from _dbt_build(context, dbt, warehouse)


@dbt_assets(**_DBT_OP, select=ESTIMATES_DOWNSTREAM, name="estimate_dbt_models")
def estimate_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    yield from _dbt_build(context, dbt, warehouse)


DBT_MODEL_ASSETS = (warehouse_dbt_models, estimate_dbt_models)


def _dbt_build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    from orchestration.dbt_project import dbt_code_version
    from orchestration.unit_tests import passed_unit_tests, record_unit_tests, unit_tests_needed

    if context.job_name == NIGHTLY_JOB and not _night_changed(context, warehouse):
        context.log.info("the night's load changed nothing: no dbt build (and nothing after it)")
        return
    # One target folder per warehouse, kept between invocations: dbt parses partially (dagster-dbt
    # would give every invocation a new folder and dbt would parse the whole project each time).
    target = warehouse.dbt_build_target()
    code = dbt_code_version()
    args = ["build"]
    if not unit_tests_needed(target, code, dbt_project.manifest_path):
        args += ["--exclude", "test_type:unit"]  # the dbt code passed them already
    with warehouse.dbt_environment():  # the subprocess takes its environment when it starts
        invocation = dbt.cli(args, context=context, target_path=target)
    yield from finishing(invocation.stream(), args, warehouse.warehouse_path(), invocation.target_path)  # Spark: import
    record_unit_tests(target, code, passed_unit_tests(invocation))
    # what the city_incremental models recomputed (read after dbt ended: DuckDB has one writer)
    yield from _increment_observations(invocation, warehouse, context)


def _night_changed(context, warehouse: WarehouseResource) -> bool:
    from orchestration.increments import run_changes

    return bool(run_changes(context, warehouse.warehouse_path()))


def _increment_observations(invocation, warehouse: WarehouseResource, context) -> list[dg.AssetObservation]:
    """One observation per city_incremental model of this dbt invocation: full, incremental or
    unchanged, why, and which cities (and city-periods) it recomputed (meta.dbt_increment_runs)."""
    from orchestration.increments import model_builds

    try:
        invocation_id = invocation.get_artifact("run_results.json")["metadata"]["invocation_id"]
    except (FileNotFoundError, KeyError):
        return []
    keys = {key.path[-1]: key for key in context.selected_asset_keys}
    observations = []
    for build in model_builds(warehouse.warehouse_path(), [invocation_id]):
        key = keys.get(build["model"].split(".")[-1])
        if key is None:
            continue
        observations.append(
            dg.AssetObservation(
                asset_key=key,
                metadata={
                    "increment_mode": build["mode"],
                    "increment_reason": build["reason"] or "",
                    "recomputed_cities": ", ".join(build["cities"] or []),
                    "recomputed_periods": ", ".join(build["periods"] or []),
                    "rows_inserted": build["rows_inserted"] if build["rows_inserted"] is not None else 0,
                },
            )
        )
    return observations


def model_key(model: str) -> dg.AssetKey | None:
    """The asset key of a dbt model in either dbt op, None for a model the manifest does not hold."""
    from dagster_dbt import get_asset_key_for_model

    for assets in DBT_MODEL_ASSETS:
        try:
            return get_asset_key_for_model([assets], model)
        except KeyError:
            continue
    return None


def dbt_models(select: str = "fqn:*") -> dg.AssetSelection:
    """The dbt assets a dbt selection string picks (e.g. "path:models/marts/city"), without checks."""
    # one selection per dbt op (dagster-dbt resolves a dbt selection within one op)
    parts = [build_dbt_asset_selection([assets], dbt_select=select) for assets in DBT_MODEL_ASSETS]
    return functools.reduce(operator.or_, parts).without_checks()


def dbt_tests(select: str = "fqn:*") -> dg.AssetSelection:
    """The dbt tests (Dagster checks of the dbt op, not the GX suites) of the models `select` picks."""
    # Only the tests of the picked models: a test of an unpicked model that also reads a picked one
    # (dbt's eager indirect selection takes it) would run against a table not built.
    from dagster._core.definitions.assets.graph.asset_graph import AssetGraph  # resources not needed

    models = dbt_models(select).resolve(AssetGraph.from_assets(list(DBT_MODEL_ASSETS)))
    checks = [k for ad in DBT_MODEL_ASSETS for k in ad.check_keys if k.asset_key in models]
    return dg.AssetSelection.checks(*checks)


defs = dg.Definitions(assets=list(DBT_MODEL_ASSETS), resources={"dbt": dbt_resource()})
