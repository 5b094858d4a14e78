"""Fixtures of the quality tests: one small raw world per session, a private warehouse per test.

The world is built and written once per session; each test gets a copy of that file (a copy
is milliseconds, a fresh write is not). Great Expectations is imported once per session
(quality.gx_engine keeps one context and the built suites)."""

from __future__ import annotations

import shutil

import pytest
import qworld


@pytest.fixture(scope="session")
def world():
    return qworld.build()


@pytest.fixture(scope="session")
def world_file(tmp_path_factory, world):
    path = tmp_path_factory.mktemp("quality_world") / "world.duckdb"
    qworld.write(world, path)
    return path


@pytest.fixture
def warehouse(tmp_path, world_file):
    path = tmp_path / "quality.duckdb"
    shutil.copyfile(world_file, path)
    return path
