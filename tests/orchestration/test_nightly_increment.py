"""The nightly path in Dagster: a new month lands for one city, the sensor asks for that city's
run, and that one run of the `nightly_increment` job (load -> checks -> dbt -> disclosure repair
-> exchange package -> publish) recomputes that city only and changes the published copy."""

from __future__ import annotations

import json
import shutil

import dagster as dg
import pytest

from warehouse.db import connect
from warehouse.fingerprint import table_fingerprints

CITIES = ["muenster", "enschede"]
NEW_MONTH = [
    "muenster/meldewesen/2026-09.parquet",
    "muenster/sgb2/2026-09.parquet",
    "muenster/beratung/2026-09.parquet",
]


@pytest.fixture(scope="module")
def built_world(tmp_path_factory):
    """A published Münster + Enschede world (from 2024-01) without Münster's September 2026."""
    from shared_demo_world import published_world_selection, world_resources

    from ingest.demo.generate import generate
    from orchestration.pipeline import run_pipeline

    root = tmp_path_factory.mktemp("nightly")
    source = root / "world"
    generate(
        scale=0.005,
        seed=20190101,
        landing=source,
        truth=root / "truth",
        cities=CITIES,
        start="2024-01",
        overwrite=True,
        progress=lambda *_: None,
    )
    shutil.copytree(source, root / "landing")
    for rel in NEW_MONTH:
        (root / "landing" / rel).unlink()
    resources = world_resources(root)
    run_pipeline(published_world_selection(), cities=CITIES, resources=resources, log=lambda _: None)
    return root, source, resources


def _sensor_requests(resources, cursor):
    from orchestration.definitions import defs
    from orchestration.defs.ingest import new_deliveries_sensor

    context = dg.build_sensor_context(cursor=cursor, resources=resources, definitions=defs)
    result = new_deliveries_sensor.evaluate_tick(context)
    return result.run_requests, result.cursor


def test_the_sensors_run_recomputes_only_the_new_citys_rows(built_world, tmp_path, dagster_home, dbt_manifest):
    from orchestration.increments import run_increment

    root, source, resources = built_world
    warehouse, published = root / "warehouse.duckdb", root / "published" / "warehouse.duckdb"
    requests, cursor = _sensor_requests(resources, None)
    assert requests == []  # first tick on a loaded warehouse: compared with the registry, nothing new
    assert _sensor_requests(resources, cursor)[0] == []  # nothing landed since

    for rel in NEW_MONTH:
        (root / "landing" / rel).write_bytes((source / rel).read_bytes())
    requests, _ = _sensor_requests(resources, cursor)
    assert [r.partition_key for r in requests] == ["muenster"]
    from orchestration.defs.ingest import new_deliveries_sensor

    assert new_deliveries_sensor.job_name == "nightly_increment"

    with connect(published, read_only=True) as con:
        before = table_fingerprints(con, ("exchange", "alliance"))
    lines: list[str] = []
    inc = run_increment([r.partition_key for r in requests], resources=resources, warehouse=warehouse, log=lines.append)
    print("\n".join(lines))  # the night's phases and their seconds (pytest -s shows them)
    assert any("load " in line and "dbt " in line and "publish " in line for line in lines), lines

    assert {(c["city"], c["source"], c["period"], c["change_kind"]) for c in inc.changes} == {
        ("muenster", "meldewesen", "2026-09", "new_period"),
        ("muenster", "sgb2", "2026-09", "new_period"),
        ("muenster", "beratung", "2026-09", "new_period"),
    }
    assert inc.quarters == ["2026-Q3"]
    # one observable run: every phase of the night in it, the changed partitions in its tags
    assert len(inc.results) == 1
    (run,) = inc.results
    assert run.success and run.job_def.name == "nightly_increment"
    steps = {e.step_key for e in run.all_events if e.event_type_value == "STEP_SUCCESS"}
    for step in (
        "raw_city_deliveries",
        "warehouse_dbt_models",
        "marts__fct_dunkelziffer_estimates",  # between the two dbt ops
        "estimate_dbt_models",
        "disclosure_repair",
        "nightly_exchange_packages",
        "published_warehouse",
    ):
        assert step in steps, sorted(steps)
    assert any("raw_" in s and "check" in s or "gx" in s for s in steps), sorted(steps)
    assert set(inc.phases) == {"load", "checks", "dbt", "estimates", "disclosure", "exchange", "publish"}
    from orchestration.increments import TAG_CHANGES, TAG_COUNT

    (tags,) = inc.tags
    assert tags[TAG_COUNT] == "3"
    assert "muenster meldewesen 2026-09 (new_period)" in tags[TAG_CHANGES]
    assert "enschede" not in tags[TAG_CHANGES]
    packages = [
        e.event_specific_data.materialization
        for e in run.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
        and e.event_specific_data.materialization.asset_key == dg.AssetKey("exchange_package")
    ]
    assert [str(p.partition) for p in packages] == ["muenster|2026-Q3"]
    built = {b["model"]: (b["mode"], tuple(b["cities"])) for b in inc.models}
    assert built, "no city_incremental model was built"
    # per city: only Münster recomputed; per city-period (the stock-driven models): nothing, as no
    # stock, school or housing delivery came
    period_models = {m for m, b in built.items() if b[0] == "unchanged"}
    assert {m.split(".")[-1] for m in period_models} == {
        "int_population_counts",
        "int_dwell_time_counts",
        "fct_dwell_time_stock",
        "fct_segregation",
        "fct_schools",
        "fct_housing_problem_properties",
    }
    assert {b for m, b in built.items() if m not in period_models} == {("incremental", ("muenster",))}
    # the changed partitions are in the run's metadata: the raw asset's and the dbt models'
    events = [e for r in inc.results for e in r.all_events if e.event_type_value == "ASSET_MATERIALIZATION"]
    raw = [
        e.event_specific_data.materialization
        for e in events
        if e.event_specific_data.materialization.asset_key == dg.AssetKey(["raw", "meldewesen"])
    ]
    assert raw and raw[-1].metadata["changed_cities"].value == "muenster"
    observations = [
        e.event_specific_data.asset_observation
        for r in inc.results
        for e in r.all_events
        if e.event_type_value == "ASSET_OBSERVATION"
    ]
    recomputed = {o.asset_key.path[-1]: o.metadata["recomputed_cities"].value for o in observations}
    assert recomputed.get("int_registration_spells") == "muenster"
    # the Dunkelziffer estimates between the two dbt ops: Münster's alone estimated again
    (estimates,) = [
        e.event_specific_data.materialization
        for e in events
        if e.event_specific_data.materialization.asset_key == dg.AssetKey(["marts", "fct_dunkelziffer_estimates"])
    ]
    assert estimates.metadata["increment_mode"].value == "incremental"
    assert estimates.metadata["recomputed_cities"].value == "muenster"
    # dbt parsed partially: the build target is kept, and its unit tests ran once for this code
    target = root / "dbt_target" / "build"
    assert (target / "partial_parse.msgpack").exists()
    from orchestration.dbt_project import dbt_code_version, dbt_project
    from orchestration.unit_tests import unit_tests_needed

    assert not unit_tests_needed(target, dbt_code_version(), dbt_project.manifest_path)
    assert unit_tests_needed(target, "another code", dbt_project.manifest_path)
    ran = json.loads((target / "run_results.json").read_text())["results"]
    assert ran and not [r for r in ran if r["unique_id"].startswith("unit_test.")], "unit tests ran again"

    with connect(published, read_only=True) as con:
        after = table_fingerprints(con, ("exchange", "alliance"))
    changed = sorted(t for t in after if after[t] != before.get(t))
    assert "exchange.fct_exchange_cells" in changed, json.dumps(changed)
    assert (root / "outbox").is_dir() and any(
        p.name.startswith("muenster_2026-Q3") for p in (root / "outbox").iterdir()
    )

    # the night's disclosure repair audited the changed scopes (linked city-periods) only, and equals a full one
    repairs = [
        e.event_specific_data.materialization
        for e in run.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
        and e.event_specific_data.materialization.asset_key == dg.AssetKey("disclosure_repair")
    ]
    audited, total = (int(x) for x in repairs[0].metadata["audited_scopes"].value.split(" of "))
    assert 0 < audited < total
    _assert_equals_a_full_repair(warehouse, tmp_path)


def _assert_equals_a_full_repair(warehouse, tmp_path):
    """The exchange and alliance tables of `warehouse` equal dbt's fresh ones of the same marts
    after a full disclosure repair."""
    from disclosure.warehouse import repair_warehouse
    from orchestration.dbt_project import run_dbt

    full = tmp_path / "full" / "warehouse.duckdb"  # the geometry model wants the catalogue `warehouse`
    full.parent.mkdir()
    shutil.copy(warehouse, full)
    select = ["--select", "path:models/exchange path:models/alliance"]
    run_dbt(["run", *select], warehouse=full, target_path=tmp_path / "dbt_target", log=lambda _: None, in_process=True)
    with connect(full, read_only=True) as con:
        fresh = table_fingerprints(con, ("exchange", "alliance"))
    summary = repair_warehouse(full)
    assert summary.audited_scopes == summary.scopes
    with connect(full, read_only=True) as con:
        expected = table_fingerprints(con, ("exchange", "alliance"))
    with connect(warehouse, read_only=True) as con:
        night = table_fingerprints(con, ("exchange", "alliance"))
    assert summary.added_cells > 0 and fresh != expected, "no cell to repair: the comparison proves nothing"
    assert sorted(t for t in expected if night.get(t) != expected[t]) == []


def test_a_night_without_changes_stops_after_the_load(built_world, dagster_home, dbt_manifest):
    from orchestration.increments import run_increment

    root, _source, resources = built_world
    published = root / "published" / "warehouse.duckdb"
    stamp = published.stat().st_mtime_ns
    inc = run_increment(["enschede"], resources=resources, warehouse=root / "warehouse.duckdb", log=lambda _: None)
    assert inc.changes == [] and inc.models == [] and len(inc.results) == 1
    skipped = {e.step_key for e in inc.results[0].all_events if e.event_type_value == "STEP_SKIPPED"}
    assert {"disclosure_repair", "published_warehouse", "nightly_exchange_packages"} <= skipped
    assert published.stat().st_mtime_ns == stamp
