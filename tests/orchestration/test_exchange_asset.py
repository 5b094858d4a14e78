"""The Dagster asset for exchange packages: one city x quarter into the outbox, metadata that
matches the manifest, blocked sources exported as gate rows, nothing to export fails the run;
and the schedule that asks for the latest complete quarter."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import dagster as dg
import duckdb
import polars as pl
import pytest
from alliance.conftest import make_exchange_warehouse


def _materialise(city: str, quarter: str, warehouse, outbox, **kwargs):
    from orchestration.defs.exchange import exchange_package
    from orchestration.resources import WarehouseResource

    resource = WarehouseResource(database=str(warehouse), exchange_outbox_dir=str(outbox))
    return dg.materialize(
        [exchange_package],
        partition_key=dg.MultiPartitionKey({"city": city, "quarter": quarter}),
        resources={"warehouse": resource},
        **kwargs,
    )


def _metadata(result) -> dict:
    (mat,) = result.asset_materializations_for_node("exchange_package")
    return {k: v.value for k, v in mat.metadata.items()}


@pytest.mark.slow
def test_asset_exports_one_city_quarter_of_the_demo_world(
    published_demo, dagster_home, dbt_manifest, tmp_path, monkeypatch
):
    from orchestration.exchange import SCHEMA_VERSION, TABLES, verify_package

    result = _materialise("muenster", "2026-Q3", published_demo[0], tmp_path / "outbox")  # read only
    assert result.success
    package = tmp_path / "outbox" / "muenster_2026-Q3"
    manifest_path = package / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert (manifest["city"], manifest["period"], manifest["schema_version"]) == ("muenster", "2026-Q3", SCHEMA_VERSION)
    assert manifest["synthetic"] is True
    assert set(manifest["files"]) == {t.file for t in TABLES}
    assert manifest["files"]["cells.parquet"]["rows"] > 100
    meta = _metadata(result)
    assert meta["manifest_sha256"] == hashlib.sha256(manifest_path.read_bytes()).hexdigest()
    assert meta["files"] == {name: f["rows"] for name, f in manifest["files"].items()}
    assert meta["rows"] == sum(f["rows"] for f in manifest["files"].values())
    assert meta["package_id"] == manifest["package_id"]
    verify_package(package)  # what a hub would check on arrival
    districts = pl.read_parquet(package / "district_cells.parquet")
    assert districts.height > 0
    assert set(districts["district_level"].unique()) == {"stadt", "stadtbezirk"}  # Münster: Stadtbezirke only
    sgb2 = districts.filter(pl.col("indicator_id") == "sgb2_elb_rate")
    assert sgb2.height > 0


def test_blocked_city_quarter_is_exported_with_its_gate_rows(dagster_home, dbt_manifest, tmp_path, monkeypatch):
    # Dortmund 2026-Q3: the school source is blocked; the other cells and the gate row travel
    warehouse = make_exchange_warehouse(tmp_path / "city.duckdb")
    result = _materialise("dortmund", "2026-Q3", warehouse, tmp_path / "outbox")
    assert result.success
    meta = _metadata(result)
    assert meta["status"] == "partly blocked"
    assert meta["blocked"] == ["schule: file cut off"]
    gate = pl.read_parquet(tmp_path / "outbox" / "dortmund_2026-Q3" / "quality_gate.parquet")
    assert gate["source"].to_list() == ["schule"]
    assert meta["files"]["cells.parquet"] == 6


def test_nothing_to_export_fails_the_run(dagster_home, dbt_manifest, tmp_path, monkeypatch):
    warehouse = make_exchange_warehouse(tmp_path / "city.duckdb")
    result = _materialise(
        "muenster", "2026-Q3", warehouse, tmp_path / "outbox", raise_on_error=False
    )  # no rows for Münster
    assert not result.success
    assert not (tmp_path / "outbox" / "muenster_2026-Q3").exists()


@pytest.mark.parametrize(
    "day, quarter",
    [
        (dt.date(2026, 11, 21), "2026-Q3"),
        (dt.date(2026, 10, 1), "2026-Q3"),
        (dt.date(2026, 9, 30), "2026-Q2"),
        (dt.date(2027, 1, 2), "2026-Q4"),
    ],
)
def test_latest_complete_quarter(day, quarter):
    from orchestration.defs.exchange import latest_complete_quarter

    assert latest_complete_quarter(day) == quarter


@pytest.mark.slow
def test_schedule_requests_the_latest_complete_quarter_per_published_city(
    published_demo, dagster_home, dbt_manifest, monkeypatch
):
    from orchestration.defs.exchange import exchange_export_schedule
    from orchestration.resources import WarehouseResource

    resources = {"warehouse": WarehouseResource(published_database=str(published_demo[1]))}
    ctx = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 11, 21, 6, 0), resources=resources)
    requests = list(exchange_export_schedule(ctx))
    assert sorted(r.partition_key for r in requests) == ["enschede|2026-Q3", "muenster|2026-Q3"]
    with duckdb.connect(str(published_demo[1]), read_only=True) as con:
        version = con.execute("select max(data_version) from publication.about").fetchone()[0]
    assert version
    # the data version in the run key: the same data are not exported twice, new data are
    assert sorted(r.run_key for r in requests) == [f"enschede|2026-Q3|{version}", f"muenster|2026-Q3|{version}"]
    # a quarter nobody has: skipped with the reason
    early = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2019, 2, 1, 6, 0), resources=resources)
    skipped = exchange_export_schedule(early)
    assert isinstance(skipped, dg.SkipReason) and "2018-Q4" in skipped.skip_message
