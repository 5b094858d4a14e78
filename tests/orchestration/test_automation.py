"""Automation that is on: a delivery that lands reaches the published copy without a click.

In process, the way the Dagster daemon does it: the delivery sensor's tick (build_sensor_context),
the run it asks for, then the automation condition sensor's ticks
(`dg.evaluate_automation_conditions` on one instance, with its cursor), then the runs those ask
for. Also: a loaded warehouse starts with nothing queued (sensor without cursor compares with
the registry), and automation, schedules and sensors are on by default.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from orchestration.defs.ingest import new_deliveries_sensor


def test_automation_schedules_and_sensors_are_on_by_default():
    from orchestration.definitions import defs

    sensors = {s.name: s for s in defs.sensors}
    assert isinstance(sensors["default_automation_condition_sensor"], dg.AutomationConditionSensorDefinition)
    assert {n: s.default_status for n, s in sensors.items()} == {
        "new_deliveries_sensor": dg.DefaultSensorStatus.RUNNING,
        "default_automation_condition_sensor": dg.DefaultSensorStatus.RUNNING,
    }
    schedules = {s.name: s.default_status for s in defs.schedules}
    assert schedules == {
        "nightly_load_schedule": dg.DefaultScheduleStatus.RUNNING,
        "exchange_export_schedule": dg.DefaultScheduleStatus.RUNNING,
        "quarterly_report_schedule": dg.DefaultScheduleStatus.RUNNING,
    }
    graph = defs.resolve_asset_graph()
    # every dbt model and the published copy have a condition the sensor evaluates
    published = graph.get(dg.AssetKey("published_warehouse"))
    assert published.automation_condition is not None
    alliance = graph.get(dg.AssetKey(["alliance", "fct_alliance_dunkelziffer_estimates"]))
    assert alliance.automation_condition.get_label() == "after an upstream update"


def _world_copy(published_demo, tmp_path: Path) -> tuple[Path, dict]:
    from shared_demo_world import world_resources

    warehouse, _published = published_demo
    source = warehouse.parent
    root = tmp_path / "world"
    (root / "published").mkdir(parents=True)
    shutil.copy(warehouse, root / "warehouse.duckdb")
    shutil.copy(source / "published" / "warehouse.duckdb", root / "published" / "warehouse.duckdb")
    shutil.copytree(source / "landing", root / "landing", symlinks=True)  # keeps the files' times
    return root, world_resources(root)


def _tick(resources: dict, cursor: str | None):
    context = dg.build_sensor_context(cursor=cursor, resources=resources)
    result = new_deliveries_sensor(context)
    requests = result if isinstance(result, list) else []
    return requests, context.cursor


def _new_version_of_last_month(landing: Path, city: str) -> tuple[str, Path]:
    """A corrected _v2 of the city's latest register month (one event less): a new delivery."""
    months = sorted(p for p in (landing / city / "meldewesen").glob("*.parquet") if "_v" not in p.stem)
    last = months[-1]
    frame = pl.read_parquet(last)
    target = last.with_name(f"{last.stem}_v2.parquet")
    frame.head(frame.height - 1).write_parquet(target)
    return last.stem, target


def test_first_tick_on_a_loaded_warehouse_queues_nothing_and_a_new_file_only_its_city(published_demo, tmp_path):
    root, resources = _world_copy(published_demo, tmp_path)
    requests, cursor = _tick(resources, None)
    assert requests == [], "a loaded warehouse must not be reloaded on the sensor's first tick"
    assert set(json.loads(cursor)) == {"muenster", "enschede"}

    _period, _file = _new_version_of_last_month(root / "landing", "muenster")
    # with the cursor of the first tick, and without any cursor (compared with the registry)
    for previous in (cursor, None):
        requests, _ = _tick(resources, previous)
        assert [r.partition_key for r in requests] == ["muenster"]


def test_empty_cursor_on_an_empty_warehouse_queues_every_city_with_files(published_demo, tmp_path):
    root, resources = _world_copy(published_demo, tmp_path)
    (root / "warehouse.duckdb").unlink()
    requests, _ = _tick(resources, None)
    assert sorted(r.partition_key for r in requests) == ["enschede", "muenster"]


def test_empty_cursor_while_a_writer_holds_the_warehouse_skips_the_tick(published_demo, tmp_path):
    import subprocess
    import sys

    root, resources = _world_copy(published_demo, tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c = duckdb.connect({str(root / 'warehouse.duckdb')!r}); "
            "print('open', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        context = dg.build_sensor_context(cursor=None, resources=resources)
        result = new_deliveries_sensor(context)
        assert isinstance(result, dg.SkipReason) and "busy" in result.skip_message
        assert context.cursor is None, "the tick must be repeated, not remembered as done"
    finally:
        holder.kill()
        holder.wait()


def _requested(result) -> tuple[set[dg.AssetKey], set[dg.AssetCheckKey]]:
    """What one evaluation of the automation conditions asks to run (assets and checks)."""
    keys = {r.key for r in result.results if not r.true_subset.is_empty}
    return {k for k in keys if isinstance(k, dg.AssetKey)}, {k for k in keys if isinstance(k, dg.AssetCheckKey)}


def test_a_landed_month_reaches_the_published_copy_by_itself(published_demo, tmp_path):
    from orchestration.definitions import defs as root_defs
    from orchestration.pipeline import run_pipeline

    root, resources = _world_copy(published_demo, tmp_path)
    defs = dg.Definitions(
        assets=list(root_defs.assets or []),
        asset_checks=list(root_defs.asset_checks or []),
        jobs=list(root_defs.jobs or []),
        resources={**(root_defs.resources or {}), **resources},
    )
    instance = dg.DagsterInstance.ephemeral()

    # Dagster starts on a loaded warehouse: nothing to load, nothing to build.
    requests, cursor = _tick(resources, None)
    assert requests == []
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert first.total_requested == 0, f"nothing may be queued when Dagster starts: {_requested(first)}"

    period, _file = _new_version_of_last_month(root / "landing", "muenster")
    requests, cursor = _tick(resources, cursor)
    assert [r.partition_key for r in requests] == ["muenster"]
    load = defs.resolve_job_def("load_city_deliveries").execute_in_process(
        instance=instance, partition_key="muenster", raise_on_error=False
    )
    assert load.success

    second = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    assets, checks = _requested(second)
    assert dg.AssetKey("published_warehouse") in assets
    assert dg.AssetKey(["alliance", "fct_intercity_indicators"]) in assets
    assert not any(k.path[0] == "raw" for k in assets), "automation must not reload raw data"
    disclosure = [c for c in checks if c.name.startswith("disclosure_")]
    assert disclosure, "the dbt disclosure tests must run with the models they guard"
    assert dg.AssetCheckKey(dg.AssetKey(["alliance", "fct_intercity_indicators"]), "gx_suite") in checks

    selection = dg.AssetSelection.assets(*assets).without_checks() | dg.AssetSelection.checks(*checks)
    run_pipeline(selection, defs=defs, cities=["muenster", "enschede"], log=lambda _m: None)

    with duckdb.connect(str(root / "published" / "warehouse.duckdb"), read_only=True) as con:
        versions = con.execute(
            "select version, status from publication.delivery_counts "
            "where city = 'muenster' and source = 'meldewesen' and period = ?",
            [period],
        ).fetchall()
    assert (2, "loaded") in versions, f"the _v2 of {period} is not in the published copy: {versions}"


def test_report_schedule_requests_every_alliance_on_the_due_day():
    import datetime as dt

    from orchestration.defs.partitions import ALLIANCES
    from orchestration.defs.reports import quarterly_report_schedule
    from reports.schedule import report_due_date

    due = report_due_date("2025-Q4")
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime.combine(due, dt.time(7)))
    requests = quarterly_report_schedule(context)
    assert sorted(r.partition_key.keys_by_dimension["alliance"] for r in requests) == ALLIANCES
    before = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime.combine(due - dt.timedelta(days=1), dt.time(7))
    )
    assert isinstance(quarterly_report_schedule(before), dg.SkipReason)
