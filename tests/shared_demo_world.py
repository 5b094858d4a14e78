"""A small real demo warehouse, built once per test session (and shared by the xdist workers) for
tests/alliance and tests/reports: demo world (Münster + Enschede, scale 0.005, with its own synthetic
official tables), then the pipeline (orchestration.pipeline, the Dagster definitions) without the
steps these tests do not need: load, official tables, every dbt model with the dbt tests of the
exchange and alliance layers (a failing disclosure test fails the fixture), publish. The real
official files are not mixed into a synthetic world; tests/official reads them."""

from __future__ import annotations

import os
from pathlib import Path

DEMO_CITIES = ["muenster", "enschede"]  # the euregio alliance: one German, one Dutch city
DEMO_SCALE, DEMO_SEED = 0.005, 20190101


def world_resources(root: Path, landing: Path | None = None) -> dict:
    """The pipeline's resources for a world under `root` (warehouse, published copy, folders)."""
    from orchestration.resources import WarehouseResource

    return {
        "warehouse": WarehouseResource(
            database=str(root / "warehouse.duckdb"),
            published_database=str(root / "published" / "warehouse.duckdb"),
            landing_dir=str(landing or root / "landing"),
            exchange_outbox_dir=str(root / "outbox"),
            reports_output_dir=str(root / "reports"),
            dbt_target_path=str(root / "dbt_target"),
        )
    }


def published_world_selection():
    """Everything but the GX checks, the dbt tests of the city layer (tests/marts runs those),
    and the assets partitioned by quarter (their tests materialise them)."""
    import dagster as dg

    from orchestration.defs.dbt import dbt_tests
    from orchestration.defs.exchange import exchange_package
    from orchestration.defs.reports import quarterly_report

    everything = dg.AssetSelection.all().without_checks()
    by_quarter = dg.AssetSelection.assets(exchange_package, quarterly_report)
    return (everything - by_quarter) | dbt_tests("path:models/exchange path:models/alliance")


def build_published_demo(root: Path) -> tuple[Path, Path]:
    """(warehouse, published copy) under `root`; reused when it exists already."""
    warehouse, published = root / "warehouse.duckdb", root / "published" / "warehouse.duckdb"
    if published.exists():
        return warehouse, published
    from ingest.demo.generate import generate
    from orchestration.pipeline import run_pipeline

    root.mkdir(parents=True, exist_ok=True)
    landing = root / "landing"
    generate(
        scale=DEMO_SCALE, seed=DEMO_SEED, landing=landing, truth=root / "truth", cities=DEMO_CITIES, overwrite=True
    )
    results = run_pipeline(
        published_world_selection(), cities=DEMO_CITIES, resources=world_resources(root), log=lambda _msg: None
    )
    save_dagster_metadata(results, root)
    return warehouse, published


DAGSTER_METADATA = "dagster_metadata.json"


def save_dagster_metadata(results, root: Path) -> Path:
    """The metadata Dagster recorded for the world's alliance and exchange assets (the run's
    instance is ephemeral), kept beside the world for the leak scan (tests/alliance/test_leakscan.py)."""
    import json

    from reports.leakscan import dagster_records, result_materializations

    path = root / DAGSTER_METADATA
    path.write_text(json.dumps(dagster_records(result_materializations(results)), default=str), encoding="utf-8")
    return path


def shared_session_dir(tmp_path_factory, name: str):
    """A folder shared by all xdist workers of this run (one per run without xdist), and a lock
    so that the first worker builds what is in it while the others wait and reuse it."""
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    return base / name, FileLock(str(base / f"{name}.lock"))
