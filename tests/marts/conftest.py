"""Session fixtures of the marts tests: a small demo world built once through the pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse.db import connect

DEMO_CITIES = ["dortmund", "duesseldorf", "duisburg"]
DEMO_SCALE, DEMO_SEED = 0.02, 20190101
# Everything the city layer consists of (seeds are cheap and needed by staging), as dbt selects it.
CITY_SEEDS = ["nationalities", "cities", "registration_rules", "age_bands", "sexes", "event_types"]
CITY_LAYER = " ".join([*CITY_SEEDS, "path:models/staging/city", "path:models/intermediate", "path:models/marts/city"])


@pytest.fixture(scope="session")
def demo_marts(tmp_path_factory) -> Path:
    """Warehouse with Dortmund, Düsseldorf and Duisburg of the demo world loaded and the city layer
    built by the pipeline (raw assets, the city layer's dbt models with their data and unit
    tests - a failing dbt test fails the fixture)."""
    import dagster as dg
    from shared_demo_world import shared_session_dir, world_resources

    from ingest.demo.generate import generate
    from orchestration.defs.dbt import dbt_models, dbt_tests
    from orchestration.defs.ingest import raw_city_deliveries
    from orchestration.pipeline import run_pipeline

    root, lock = shared_session_dir(tmp_path_factory, "marts_demo")
    landing, truth, warehouse = root / "landing", root / "truth", root / "warehouse.duckdb"
    done = root / "BUILT"
    with lock:  # built by the first xdist worker that needs it, reused by the other
        if not done.exists():
            generate(scale=DEMO_SCALE, seed=DEMO_SEED, landing=landing, truth=truth, cities=DEMO_CITIES, overwrite=True)
            selection = (
                dg.AssetSelection.assets(raw_city_deliveries).without_checks()
                | dbt_models(CITY_LAYER)
                | dbt_tests(CITY_LAYER)
            )
            run_pipeline(selection, cities=DEMO_CITIES, resources=world_resources(root), log=lambda _msg: None)
            done.touch()
    return warehouse


@pytest.fixture(scope="session")
def compiled_model(demo_marts):
    """SQL of a city-layer model as dbt compiled it for the demo build (to run it on other data
    without another dbt invocation; relations are named "warehouse"."<schema>"."<model>")."""
    compiled = demo_marts.parent / "dbt_target"  # one folder per dbt run below it

    def read(name: str) -> str:
        hits = [  # not the unit tests' compilations (under <model>.yml/ with their fixture rows)
            p
            for p in compiled.rglob(f"compiled/migration_warehouse/models/**/{name}.sql")
            if not p.parent.name.endswith(".yml")
        ]
        assert len(hits) == 1, f"compiled SQL of {name}: {hits}"
        return hits[0].read_text(encoding="utf-8")

    return read


@pytest.fixture
def demo_con(demo_marts):
    con = connect(demo_marts, read_only=True)
    yield con
    con.close()
