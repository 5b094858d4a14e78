"""The reports are tested on the published copy of a small real demo world (built once per
session, shared with tests/alliance - see tests/alliance/demo_world.py)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_DEMO_WORLD = Path(__file__).resolve().parents[1] / "alliance" / "demo_world.py"


@pytest.fixture(scope="session")
def published_demo(tmp_path_factory) -> tuple[Path, Path]:
    spec = importlib.util.spec_from_file_location("alliance_demo_world", _DEMO_WORLD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_published_demo(tmp_path_factory.getbasetemp() / "published_demo")
