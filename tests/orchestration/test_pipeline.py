"""The pipeline runner: stages in the order of the asset graph, partitions per stage, and a
failing step (dbt among them) fails the caller; run_dbt fails its caller too."""

from __future__ import annotations

import dagster as dg
import pytest


@pytest.fixture
def defs(dagster_home, dbt_manifest):
    from orchestration.definitions import defs

    return defs


def _ops(stage) -> set[str]:
    return {ad.node_def.name for ad in stage.assets_defs if ad.keys}


def test_plan_follows_the_asset_graph(defs):
    from orchestration.pipeline import plan

    stages = plan(defs, dg.AssetSelection.all())
    position = {op: i for i, stage in enumerate(stages) for op in _ops(stage)}
    assert position["raw_city_deliveries"] < position["warehouse_dbt_models"]
    assert position["raw_official_tables"] <= position["warehouse_dbt_models"]
    assert position["warehouse_dbt_models"] <= position["published_warehouse"] < position["quarterly_report"]
    assert position["warehouse_dbt_models"] < position["exchange_package"]
    # every asset of the definitions is in exactly one stage, every check with it
    graph = defs.resolve_asset_graph()
    planned = [k for stage in stages for k in stage.asset_keys]
    executable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_executable}
    assert sorted(planned) == sorted(executable)
    raw_stage = stages[position["raw_city_deliveries"]]
    assert {c.name for c in raw_stage.check_keys} >= {"gx_suite", "stock_flow_reconciliation", "completeness"}


def test_partition_runs_take_ranges_where_the_assets_allow(defs):
    from orchestration.pipeline import RANGE_END, RANGE_START, PipelineError, partition_runs, plan

    load, *_ = plan(defs, dg.AssetSelection.groups("raw"))
    runs = partition_runs(load, {"city": ["enschede", "dortmund", "duesseldorf"]})
    assert runs == [{"tags": {RANGE_START: "dortmund", RANGE_END: "duesseldorf"}}, {"partition_key": "enschede"}]
    (exchange,) = plan(defs, dg.AssetSelection.assets("exchange_package"))
    runs = partition_runs(exchange, {"city": ["muenster", "enschede"], "quarter": ["2026-Q3"]})
    assert [str(r["partition_key"]) for r in runs] == ["enschede|2026-Q3", "muenster|2026-Q3"]
    with pytest.raises(PipelineError, match="say which quarter"):
        partition_runs(exchange, {"city": ["muenster"]})
    with pytest.raises(PipelineError, match="unknown city"):
        partition_runs(load, {"city": ["atlantis"]})


@pytest.mark.slow
def test_a_failing_dbt_model_fails_the_pipeline(defs, tmp_path):
    from orchestration.defs.dbt import dbt_models
    from orchestration.pipeline import PipelineError, run_pipeline
    from orchestration.resources import WarehouseResource

    # an empty warehouse: the staging view finds no raw table, dbt fails, so must the caller
    resources = {"warehouse": WarehouseResource(database=str(tmp_path / "empty.duckdb"), dbt_target_path=str(tmp_path))}
    with pytest.raises(PipelineError, match="warehouse_dbt_models failed"):
        run_pipeline(dbt_models("stg_meldewesen__events"), resources=resources, log=lambda _msg: None)


def test_run_dbt_raises_when_dbt_fails(tmp_path):
    from orchestration.dbt_project import DbtError, run_dbt

    with pytest.raises(DbtError, match="exit 2"):
        run_dbt(["build", "--no-such-option"], warehouse=tmp_path / "w.duckdb", log=lambda _line: None)
