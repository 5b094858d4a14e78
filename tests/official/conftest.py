"""Fixtures of the official-statistics tests: the real published files, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingest.official import load_official, seed_landing
from warehouse.settings import official_source_dir

SOURCE = official_source_dir()


def pytest_collection_modifyitems(items):
    if not SOURCE.is_dir():
        skip = pytest.mark.skip(reason=f"real official files not found at {SOURCE}")
        for item in items:
            if "official" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def loaded(tmp_path_factory) -> tuple[Path, Path, list]:
    """(landing, warehouse, results) with every real file seeded and loaded."""
    root = tmp_path_factory.mktemp("official")
    landing, warehouse = root / "landing", root / "warehouse.duckdb"
    seed_landing(landing)
    results = load_official(landing, warehouse)
    return landing, warehouse, results


@pytest.fixture()
def con(loaded):
    c = duckdb.connect(str(loaded[1]), read_only=True)
    yield c
    c.close()
