"""A small real demo warehouse, built once per test session (and shared by the xdist workers) for
tests/alliance and tests/reports: demo world (Münster + Enschede, scale 0.005, with its own synthetic
official tables) -> ingest load -> official tables -> dbt (city layer run, exchange/alliance built with
their tests) -> publish. The real official files are not mixed into a synthetic world; tests/official
reads them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).parent / "dbt"
DEMO_CITIES = ["muenster", "enschede"]  # the euregio alliance: one German, one Dutch city
DEMO_SCALE, DEMO_SEED = 0.005, 20190101


def _dbt(args: list[str], warehouse: Path, work: Path) -> None:
    env = dict(
        os.environ,
        WAREHOUSE_DUCKDB_PATH=str(warehouse),
        DBT_TARGET_PATH=str(work / "dbt_target"),
        DBT_LOG_PATH=str(work / "dbt_logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
    )
    proc = subprocess.run(
        [
            str(DBT),
            *args,
            "--project-dir",
            str(REPO_ROOT / "dbt_project"),
            "--profiles-dir",
            str(REPO_ROOT / "dbt_project"),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n" + "\n".join(proc.stdout.splitlines()[-40:]))


def build_published_demo(root: Path) -> tuple[Path, Path]:
    """(warehouse, published copy) under `root`; reused when it exists already."""
    warehouse, published = root / "warehouse.duckdb", root / "published" / "warehouse.duckdb"
    if published.exists():
        return warehouse, published
    from ingest.demo.generate import generate
    from ingest.load import load_landing
    from ingest.official.load import load_official
    from orchestration.publish import publish

    root.mkdir(parents=True, exist_ok=True)
    landing = root / "landing"
    generate(
        scale=DEMO_SCALE, seed=DEMO_SEED, landing=landing, truth=root / "truth", cities=DEMO_CITIES, overwrite=True
    )
    load_landing(landing, warehouse, log=lambda _msg: None)
    load_official(landing, warehouse)  # the demo world's own (synthetic) official tables
    # one dbt call (each costs seconds to start): seeds and every model, plus the data and unit
    # tests of the disclosure layers - a failing disclosure test fails the fixture
    _dbt(
        [
            "build",
            "--select",
            "resource_type:seed",
            "resource_type:model",
            "path:models/exchange",
            "path:models/alliance",
        ],
        warehouse,
        root,
    )
    publish(warehouse, published)
    return warehouse, published


def shared_session_dir(tmp_path_factory, name: str):
    """A folder shared by all xdist workers of this run (one per run without xdist), and a lock
    so that the first worker builds what is in it while the others wait and reuse it."""
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    return base / name, FileLock(str(base / f"{name}.lock"))
