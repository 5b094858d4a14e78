"""The dashboards are an asset after the published copy (eager: rebuilt after every publish), and
the boundary table is one of the raw assets ingest writes."""

from __future__ import annotations

import dagster as dg


def test_dashboards_follow_every_publish(dagster_home, dbt_manifest):
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    key = dg.AssetKey("planners_dashboards")
    assert dg.AssetKey("published_warehouse") in graph.get(key).parent_keys
    assert graph.get(key).automation_condition is not None
    raw = next(a for a in graph.assets_defs if dg.AssetKey(["raw", "gebiete"]) in a.keys)
    assert dg.AssetKey(["raw", "gebiete_geometrie"]) in raw.keys
    # the dbt staging model of the boundaries reads that asset
    (staging,) = [k for k in graph.get_all_asset_keys() if k.path[-1] == "stg_gebiete__geometry"]
    assert dg.AssetKey(["raw", "gebiete_geometrie"]) in graph.get(staging).parent_keys
