"""Fixtures of the ingest tests: example landing copies and warehouses, all in tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ingest_helpers import EXAMPLES, copy_tree


@pytest.fixture
def examples_landing(tmp_path) -> Path:
    return copy_tree(EXAMPLES, tmp_path / "landing")


@pytest.fixture(scope="session")
def loaded_examples(tmp_path_factory):
    """Examples loaded once; tests copy the landing folder and the warehouse file."""
    from ingest.load import load_landing

    base = tmp_path_factory.mktemp("base")
    landing = copy_tree(EXAMPLES, base / "landing")
    wh = base / "wh.duckdb"
    summary = load_landing(landing, wh)
    assert summary.quarantined == 0 and summary.loaded > 0
    return landing, wh


@pytest.fixture
def world(tmp_path, loaded_examples):
    """(landing, warehouse) copy of the loaded examples for one test."""
    landing, wh = loaded_examples
    own_landing = tmp_path / "landing"
    shutil.copytree(landing, own_landing)
    own_wh = tmp_path / "wh.duckdb"
    shutil.copy(wh, own_wh)
    return own_landing, own_wh
