"""Session fixtures of the marts tests: a small demo world built once through ingest and dbt."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from .dbt_runner import CITY_LAYER, run_dbt

DEMO_CITIES = ["dortmund", "duesseldorf", "duisburg"]
DEMO_SCALE, DEMO_SEED = 0.02, 20190101


@pytest.fixture(scope="session")
def demo_marts(tmp_path_factory) -> Path:
    """Warehouse with Dortmund and Düsseldorf of the demo world loaded and the city layer built
    (`dbt build`: seeds, models, data tests and unit tests - a failing dbt test fails the fixture)."""
    from shared_demo_world import shared_session_dir

    from ingest.demo.generate import generate
    from ingest.load import load_landing

    root, lock = shared_session_dir(tmp_path_factory, "marts_demo")
    landing, truth, warehouse = root / "landing", root / "truth", root / "warehouse.duckdb"
    done = root / "BUILT"
    with lock:  # built by the first xdist worker that needs it, reused by the other
        if not done.exists():
            generate(scale=DEMO_SCALE, seed=DEMO_SEED, landing=landing, truth=truth, cities=DEMO_CITIES, overwrite=True)
            load_landing(landing, warehouse, log=lambda _msg: None)
            run_dbt("build", warehouse, root, select=CITY_LAYER)
            done.touch()
    return warehouse


@pytest.fixture(scope="session")
def compiled_model(demo_marts):
    """SQL of a city-layer model as dbt compiled it for the demo build (to run it on other data
    without another dbt invocation; relations are named "warehouse"."<schema>"."<model>")."""
    compiled = demo_marts.parent / "dbt_target" / "compiled" / "migration_warehouse" / "models"

    def read(name: str) -> str:
        hits = list(compiled.rglob(f"{name}.sql"))
        assert len(hits) == 1, f"compiled SQL of {name}: {hits}"
        return hits[0].read_text(encoding="utf-8")

    return read


@pytest.fixture
def demo_con(demo_marts):
    con = duckdb.connect(str(demo_marts), read_only=True)
    yield con
    con.close()
