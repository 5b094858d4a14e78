"""Shared test set-up: every test runs against its own temporary warehouse and landing folder.

Session fixtures build the small demo world once (per xdist worker) for the parts that need
realistic data; each test that writes gets a private copy.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_LANDING = REPO_ROOT.parent / "shared" / "spec" / "examples" / "landing"
OFFICIAL_DIR = REPO_ROOT.parent / "shared" / "data" / "official"


def pytest_configure(config):
    # Offline and quiet; dbt/dagster executables of this virtualenv first on PATH.
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


# Cities that sign exchange packages in the tests: the built-in ones and the hand-made test cities.
SIGNING_CITIES = sorted({p.stem for p in (REPO_ROOT / "ingest" / "cities").glob("*.yaml")} | {"dortmund", "duisburg"})


@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory) -> tuple[Path, Path]:
    """(private key folder, keyring folder) with an Ed25519 key pair of every test city, made once
    per session in a temp folder (never the checkout, never a real key)."""
    from orchestration.signing import ensure_keys

    root = tmp_path_factory.mktemp("signing_keys")
    ensure_keys(SIGNING_CITIES, root / "private", root / "keyring")
    # also for module and session fixtures, which run before the per-test environment below
    os.environ["EXCHANGE_SIGNING_KEY_DIR"] = str(root / "private")
    os.environ["EXCHANGE_KEYRING_DIR"] = str(root / "keyring")
    return root / "private", root / "keyring"


@pytest.fixture(autouse=True)
def isolated_paths(tmp_path, monkeypatch, signing_keys):
    """No test touches data/ of the checkout: warehouse, landing, published copy, reports, exchange
    outbox in tmp; exchange packages are signed with the session's test keys."""
    monkeypatch.setenv("EXCHANGE_SIGNING_KEY_DIR", str(signing_keys[0]))
    monkeypatch.setenv("EXCHANGE_KEYRING_DIR", str(signing_keys[1]))
    monkeypatch.setenv("WAREHOUSE_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("PUBLISHED_DUCKDB_PATH", str(tmp_path / "published" / "warehouse.duckdb"))
    monkeypatch.setenv("REPORTS_OUTPUT_DIR", str(tmp_path / "reports_output"))
    monkeypatch.setenv("DEMO_TRUTH_DIR", str(tmp_path / "truth"))
    monkeypatch.setenv("EXCHANGE_OUTBOX_DIR", str(tmp_path / "exchange_outbox"))
    yield


@pytest.fixture(scope="session")
def dagster_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@pytest.fixture
def examples_landing(tmp_path) -> Path:
    """A private copy of the spec's example deliveries as a landing folder."""
    target = tmp_path / "landing"
    shutil.copytree(EXAMPLES_LANDING, target, dirs_exist_ok=True)
    return target


@pytest.fixture(scope="session")
def dbt_manifest(tmp_path_factory) -> Path:
    """The dbt manifest Dagster reads, parsed once (`make test` prepares it too); the lock keeps
    two xdist workers from parsing into the same target folder at once."""
    from filelock import FileLock

    from orchestration.dbt_project import dbt_project

    lock = tmp_path_factory.getbasetemp().parent / "dbt_manifest.lock"
    with FileLock(str(lock)):
        if not dbt_project.manifest_path.exists():
            dbt_project.preparer.prepare(dbt_project)
    return dbt_project.manifest_path


@pytest.fixture(scope="session")
def published_demo(tmp_path_factory) -> tuple[Path, Path]:
    """(warehouse, published copy) of a small real demo world (Münster + Enschede): generated,
    loaded, built with dbt and published once per test run; see tests/shared_demo_world.py."""
    from shared_demo_world import build_published_demo, shared_session_dir

    root, lock = shared_session_dir(tmp_path_factory, "published_demo")
    with lock:
        return build_published_demo(root)
