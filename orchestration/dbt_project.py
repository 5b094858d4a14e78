"""The dbt project as Dagster sees it, and a plain runner for the command line.

`dagster-dbt project prepare-and-package --file orchestration/dbt_project.py` (run by the
Makefile) parses the project so that the manifest exists before Dagster imports it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from ingest.config import REPO_ROOT, warehouse_path

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def dbt_env() -> dict[str, str]:
    """Environment for dbt: absolute warehouse path, offline and quiet."""
    env = dict(os.environ)
    env["WAREHOUSE_DUCKDB_PATH"] = str(warehouse_path())
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    return env


# dbt reads the warehouse path from the environment when Dagster invokes it.
os.environ.setdefault("WAREHOUSE_DUCKDB_PATH", str(warehouse_path()))
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target_path=Path(os.environ.get("DBT_TARGET_PATH", DBT_PROJECT_DIR / "target")),
)
# Under `dagster dev` the manifest is re-parsed on every code-location load.
dbt_project.prepare_if_dev()


def dbt_executable() -> str:
    """The dbt of this virtualenv (not whatever is first on PATH)."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(args: list[str], *, log=print, check: bool = True) -> subprocess.CompletedProcess:
    """Run a dbt command against the warehouse, streaming its log lines."""
    cmd = [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    proc = subprocess.Popen(
        cmd, env=dbt_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=DBT_PROJECT_DIR
    )
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip())
        log(line.rstrip())
    proc.wait()
    result = subprocess.CompletedProcess(cmd, proc.returncode, "\n".join(lines), "")
    if check and proc.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed (exit {proc.returncode}); see the log above")
    return result
