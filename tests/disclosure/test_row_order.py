"""The attacker's problem does not depend on the physical row order of the tables: the repair is
greedy and takes the first of equally good candidates, and two demo builds whose exchange tables
were written in another order (dbt with threads) hid different cells (239 and 241) before the
reads were ordered."""

from __future__ import annotations

import duckdb
from alliance.conftest import make_exchange_warehouse

from disclosure.relations import CELL_TABLES, load


def _problem_order(path) -> tuple[list, list]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        world = load(con)
    finally:
        con.close()
    return list(world.problem.cells), [(r.name, r.terms) for r in world.problem.relations]


def test_the_problem_is_the_same_whatever_order_the_rows_were_written_in(tmp_path):
    path = make_exchange_warehouse(tmp_path / "wh.duckdb")
    before = _problem_order(path)
    con = duckdb.connect(str(path))
    try:
        for table, _ in CELL_TABLES:
            exists = con.execute(
                "select count(*) from information_schema.tables where table_schema || '.' || table_name = ?", [table]
            ).fetchone()[0]
            if exists:  # the same rows, written back in the reverse of their order
                con.execute(
                    f"create or replace table {table} as select * exclude (_n) from "
                    f"(select *, row_number() over () as _n from {table}) order by _n desc"
                )
    finally:
        con.close()
    after = _problem_order(path)
    assert len(before[0]) > 10 and len(before[1]) > 2
    assert after == before
