"""`run_dbt(..., in_process=True)`: dbt in the caller's process behaves like the subprocess for the
caller - the same DbtError on failure, the warehouse closed afterwards (openable with other
settings, copyable), the caller's environment untouched, and a second invocation works."""

from __future__ import annotations

import os

import pytest

from warehouse.db import connect


def test_in_process_dbt_fails_like_the_subprocess_and_leaves_nothing_open(tmp_path):
    from orchestration.dbt_project import DbtError, run_dbt

    warehouse, target = tmp_path / "w.duckdb", tmp_path / "target"
    environment = dict(os.environ)
    with pytest.raises(DbtError, match="in process"):
        run_dbt(
            ["build", "--no-such-option"], warehouse=warehouse, target_path=target, log=lambda _: None, in_process=True
        )
    # an empty warehouse: the staging view finds no raw table
    lines: list[str] = []
    with pytest.raises(DbtError, match="stg_meldewesen__events"):
        run_dbt(
            ["run", "--select", "stg_meldewesen__events"],
            warehouse=warehouse,
            target_path=target,
            log=lines.append,
            in_process=True,
        )
    assert any("ERROR" in line or "Error" in line for line in lines), lines
    assert dict(os.environ) == environment

    run_dbt(["seed", "--select", "sexes"], warehouse=warehouse, target_path=target, log=lambda _: None, in_process=True)
    assert dict(os.environ) == environment
    assert (target / "logs" / "dbt.log").exists() and (target / "partial_parse.msgpack").exists()
    with connect(warehouse, read_only=True, threads=1) as con:  # other settings than dbt's: dbt closed it
        assert con.execute("select count(*) from reference.sexes").fetchone()[0] > 0
