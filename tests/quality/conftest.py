"""Fixtures of the quality tests: one small raw world per session, a private warehouse per test.

Great Expectations is imported once per session (quality.gx_engine keeps one context)."""
from __future__ import annotations

import pytest

import qworld


@pytest.fixture(scope="session")
def world():
    return qworld.build()


@pytest.fixture
def warehouse(tmp_path, world):
    path = tmp_path / "quality.duckdb"
    qworld.write(world, path)
    return path
