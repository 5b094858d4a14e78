"""Run the project's dbt against a private warehouse (subprocess, own target and log folders)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT = REPO_ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"

# Everything the city layer consists of (seeds are cheap and needed by staging).
CITY_SEEDS = ["nationalities", "cities", "registration_rules", "age_bands", "sexes", "event_types"]
CITY_LAYER = [*CITY_SEEDS, "path:models/staging/city", "path:models/intermediate", "path:models/marts/city"]


def run_dbt(
    command: str, warehouse: Path, work_dir: Path, select: list[str] | None = None, extra: list[str] | None = None
) -> subprocess.CompletedProcess:
    """`dbt <command>` with WAREHOUSE_DUCKDB_PATH=warehouse; raises with dbt's output on failure."""
    env = dict(
        os.environ,
        WAREHOUSE_DUCKDB_PATH=str(warehouse),
        DBT_TARGET_PATH=str(work_dir / "dbt_target"),
        DBT_LOG_PATH=str(work_dir / "dbt_logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
    )
    args = [str(DBT), command, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT)]
    if select:
        args += ["--select", *select]
    args += extra or []
    proc = subprocess.run(args, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-60:])
        raise RuntimeError(f"dbt {command} failed (exit {proc.returncode}):\n{tail}\n{proc.stderr[-2000:]}")
    return proc
