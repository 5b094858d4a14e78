"""The Dagster asset checks: thin wrappers that run the plain checks and write gate and record."""

from __future__ import annotations

import dagster as dg
from qworld import gate_rows, sql


def test_checks_guard_the_raw_assets_blocking_and_partitioned():
    from orchestration.defs import quality as qdefs
    from orchestration.defs.ingest import CITY_PARTITIONS, RAW_KEYS

    specs = {(s.asset_key, s.name): s for c in qdefs.defs.asset_checks for s in c.check_specs}
    for key in RAW_KEYS.values():
        assert specs[(key, "gx_suite")].blocking
    assert specs[(RAW_KEYS["bestand"], "stock_flow_reconciliation")].blocking
    assert not specs[(RAW_KEYS["schule"], "cross_source_plausibility")].blocking
    assert all(c.partitions_def == CITY_PARTITIONS for c in qdefs.RAW_CHECKS)


def test_failing_check_blocks_its_city_partition_only(warehouse, monkeypatch):
    # Partitioned asset checks are a Dagster preview: a check-only job cannot pick a partition
    # in-process yet, so the check body is called as Dagster would, with the partition's context.
    from types import SimpleNamespace

    from orchestration.defs import quality as qdefs
    from orchestration.defs.ingest import RAW_KEYS

    monkeypatch.setenv("WAREHOUSE_DUCKDB_PATH", str(warehouse))
    sql(warehouse, "UPDATE raw.gebiete SET ebene = 'quartier' WHERE city = 'wuppertal' AND bezirk_code = '01'")
    check = next(
        c
        for c in qdefs.RAW_CHECKS
        if any(s.asset_key == RAW_KEYS["gebiete"] and s.name == "gx_suite" for s in c.check_specs)
    )
    body = check.node_def.compute_fn.decorated_fn
    outcome = {city: body(SimpleNamespace(partition_key=city)) for city in ("wuppertal", "enschede")}
    assert not outcome["wuppertal"].passed
    assert outcome["wuppertal"].severity == dg.AssetCheckSeverity.ERROR
    assert outcome["wuppertal"].metadata["failed_rows"].value >= 1
    assert "ebene_in_vocabulary" in outcome["wuppertal"].metadata["failures"].value
    assert outcome["enschede"].passed
    assert {g[:4] for g in gate_rows(warehouse)} == {("wuppertal", "gebiete", "", "current")}
