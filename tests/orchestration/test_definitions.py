"""The Dagster code location loads, and its raw assets, sensor and schedule do their jobs."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from warehouse.db import connect


@pytest.fixture
def defs(dagster_home, dbt_manifest):
    from orchestration.definitions import defs

    return defs


def test_definitions_load_with_every_domain(defs):
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert "raw/meldewesen" in keys and "raw/gebiete" in keys
    jobs = {j.name for j in defs.resolve_all_job_defs()}
    assert "load_city_deliveries" in jobs
    assert defs.resolve_schedule_def("nightly_load_schedule").cron_schedule == "0 2 * * *"
    assert defs.resolve_schedule_def("nightly_load_schedule").execution_timezone == "Europe/Berlin"
    dg.Definitions.validate_loadable(defs)


def test_every_warehouse_writer_is_in_the_single_writer_pool(defs):
    from orchestration.defs.partitions import WRITER_POOL

    for assets_def in defs.resolve_asset_graph().assets_defs:
        if assets_def.is_executable and any(k.path[0] in {"raw", "raw_official"} for k in assets_def.keys):
            assert assets_def.op.pool == WRITER_POOL, assets_def.keys


def test_sensor_requests_a_run_for_a_city_with_new_files(defs, examples_landing):
    from orchestration.resources import WarehouseResource

    sensor = defs.resolve_sensor_def("new_deliveries_sensor")
    resources = {"warehouse": WarehouseResource(landing_dir=str(examples_landing))}
    ctx = dg.build_sensor_context(cursor=None, resources=resources)
    first = _requests(sensor(ctx))
    assert {r.partition_key for r in first} == {"dortmund", "duisburg", "muenster", "enschede", "wuppertal"}
    # nothing new: no run
    ctx2 = dg.build_sensor_context(cursor=ctx.cursor, resources=resources)
    assert _requests(sensor(ctx2)) == []
    # one new file for Münster: a run for Münster only
    src = examples_landing / "muenster" / "meldewesen" / "2024-12.parquet"
    shutil.copy(src, src.with_name("2024-12_v2.parquet"))
    ctx3 = dg.build_sensor_context(cursor=ctx2.cursor, resources=resources)
    assert [r.partition_key for r in _requests(sensor(ctx3))] == ["muenster"]


def _requests(result) -> list[dg.RunRequest]:
    """The run requests of a sensor's tick (a SkipReason asks for none)."""
    return [] if isinstance(result, dg.SkipReason) else list(result)


def _phantom_checks(defs) -> list[str]:
    """Checks of `defs` whose asset key no executable asset of `defs` defines."""
    defined = {k for ad in defs.resolve_asset_graph().assets_defs if ad.is_executable for k in ad.keys}
    checks = {k for c in defs.asset_checks or [] for k in c.check_keys}
    assert checks, "the definitions hold no asset checks"
    return sorted(k.asset_key.to_user_string() + ":" + k.name for k in checks if k.asset_key not in defined)


def test_every_check_targets_an_asset_the_definitions_define(defs):
    """A check on a key no asset defines makes Dagster invent an asset (group `default`)."""
    assert _phantom_checks(defs) == []
    checks = {k for c in defs.asset_checks or [] for k in c.check_keys}
    graph = defs.resolve_asset_graph()
    checked_groups = {graph.get(k.asset_key).group_name for k in checks}
    assert "default" not in checked_groups
    marts = {k.asset_key for k in checks if k.name == "gx_suite" and k.asset_key.path[0] != "raw"}
    assert marts == {
        dg.AssetKey(["exchange", "fct_exchange_cells"]),
        dg.AssetKey(["marts", "fct_fluctuation"]),
        dg.AssetKey(["alliance", "fct_intercity_indicators"]),
    }


def test_a_check_on_an_undefined_key_is_found(defs):
    """The bad case: a check on a key no asset defines shows up as a phantom."""

    @dg.asset_check(asset=dg.AssetKey(["fct_intercity_indicators"]), name="gx_suite")
    def phantom_check():
        return dg.AssetCheckResult(passed=True)

    merged = dg.Definitions(
        assets=list(defs.assets or []),
        asset_checks=[*(defs.asset_checks or []), phantom_check],
        resources=defs.resources,
    )
    assert _phantom_checks(merged) == ["fct_intercity_indicators:gx_suite"]


def test_a_mart_suite_without_its_dbt_model_is_an_error(monkeypatch):
    from orchestration.defs import quality

    monkeypatch.setattr("quality.marts.mart_names", lambda suite_dir=None: ["fct_no_such_model"])
    with pytest.raises(ValueError, match="fct_no_such_model"):
        quality._mart_checks()


def test_nightly_schedule_loads_every_city(defs):
    schedule = defs.resolve_schedule_def("nightly_load_schedule")
    from ingest.config import load_cities

    ctx = dg.build_schedule_context(scheduled_execution_time=__import__("datetime").datetime(2026, 11, 21, 2, 0))
    requests = list(schedule(ctx))
    assert sorted(r.partition_key for r in requests) == sorted(load_cities())


def test_raw_asset_materialises_one_city_and_reports_quarantine(defs, examples_landing, tmp_path):
    # A cut-off Dortmund file: trailer count does not match the rows.
    bad = examples_landing / "dortmund" / "meldewesen" / "2024-09.csv"
    good = (examples_landing / "dortmund" / "meldewesen" / "2024-10.csv").read_bytes()
    bad.write_bytes(
        good.replace(b"Summe Datensaetze: 8", b"Summe Datensaetze: 9").replace(b"01.10.2024", b"01.09.2024")
    )
    from orchestration.defs.ingest import raw_city_deliveries
    from orchestration.resources import WarehouseResource

    resource = WarehouseResource(database=str(tmp_path / "warehouse.duckdb"), landing_dir=str(examples_landing))
    result = dg.materialize([raw_city_deliveries], partition_key="dortmund", resources={"warehouse": resource})
    assert result.success
    mats = {m.asset_key.path[-1]: m for m in result.asset_materializations_for_node("raw_city_deliveries")}
    assert mats["meldewesen"].metadata["deliveries_loaded"].value == 3
    assert mats["meldewesen"].metadata["deliveries_quarantined"].value == 1
    assert "2024-09.csv" in mats["meldewesen"].metadata["quarantine"].value
    con = connect(tmp_path / "warehouse.duckdb", read_only=True)
    assert con.sql("select count(distinct city) from raw.meldewesen").fetchone()[0] == 1
