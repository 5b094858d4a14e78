"""The Dagster asset checks: thin wrappers that run the plain checks and write gate and record."""

from __future__ import annotations

import dagster as dg
from qworld import gate_rows, sql


def test_checks_guard_the_raw_assets_blocking_and_partitioned():
    from ingest.schemas import GEOMETRY_TABLE
    from orchestration.defs import quality as qdefs
    from orchestration.defs.ingest import RAW_KEYS
    from orchestration.defs.partitions import CITY_PARTITIONS

    specs = {(s.asset_key, s.name): s for c in qdefs.defs.asset_checks for s in c.check_specs}
    for table, key in RAW_KEYS.items():
        if table != GEOMETRY_TABLE:  # boundaries: checked feature by feature by ingest.geometry
            assert specs[(key, "gx_suite")].blocking
    assert specs[(RAW_KEYS["bestand"], "stock_flow_reconciliation")].blocking
    assert not specs[(RAW_KEYS["schule"], "cross_source_plausibility")].blocking
    assert all(c.partitions_def == CITY_PARTITIONS for c in qdefs.RAW_CHECKS)


def _gebiete_check():
    from orchestration.defs import quality as qdefs
    from orchestration.defs.ingest import RAW_KEYS

    return next(
        c
        for c in qdefs.RAW_CHECKS
        if any(s.asset_key == RAW_KEYS["gebiete"] and s.name == "gx_suite" for s in c.check_specs)
    )


def test_failing_check_blocks_its_city_partition_only(warehouse):
    # The check body called as Dagster calls it, with the run's partitions and the warehouse resource.
    from types import SimpleNamespace

    from orchestration.resources import WarehouseResource

    sql(warehouse, "UPDATE raw.gebiete SET ebene = 'quartier' WHERE city = 'wuppertal' AND bezirk_code = '01'")
    body = _gebiete_check().node_def.compute_fn.decorated_fn
    resource = WarehouseResource(database=str(warehouse))
    outcome = {city: body(SimpleNamespace(partition_keys=[city]), resource) for city in ("wuppertal", "enschede")}
    assert not outcome["wuppertal"].passed
    assert outcome["wuppertal"].severity == dg.AssetCheckSeverity.ERROR
    assert outcome["wuppertal"].metadata["failed_rows"].value >= 1
    assert "ebene_in_vocabulary" in outcome["wuppertal"].metadata["failures"].value
    assert outcome["enschede"].passed
    assert {g[:4] for g in gate_rows(warehouse)} == {("wuppertal", "gebiete", "", "current")}


def test_failing_blocking_check_stops_the_pipeline(warehouse, dagster_home, dbt_manifest):
    import pytest

    from orchestration.pipeline import PipelineError, run_pipeline
    from orchestration.resources import WarehouseResource

    sql(warehouse, "UPDATE raw.gebiete SET ebene = 'quartier' WHERE city = 'wuppertal' AND bezirk_code = '01'")
    check = dg.AssetSelection.checks(*_gebiete_check().check_keys)
    resources = {"warehouse": WarehouseResource(database=str(warehouse))}
    run_pipeline(check, cities=["enschede"], resources=resources, log=lambda _msg: None)  # passes
    with pytest.raises(PipelineError, match="blocking check raw/gebiete:gx_suite failed"):
        run_pipeline(check, cities=["wuppertal"], resources=resources, log=lambda _msg: None)
    assert {g[:4] for g in gate_rows(warehouse)} == {("wuppertal", "gebiete", "", "current")}
