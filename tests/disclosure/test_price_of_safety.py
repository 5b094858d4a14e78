"""The price of safety (disclosure.price): per table and in total the cells suppressed before and
after the repair, printed by `python -m disclosure audit|repair` and the demo from what the repair
recorded in meta.disclosure_audit_summary - the figures the warehouse holds, not a second count."""

from __future__ import annotations

import shutil
from datetime import datetime

import duckdb
import pytest

from disclosure import price
from disclosure.__main__ import main
from disclosure.price import price_of_safety

# (table, n_cells, suppressed before, after, breakable before, after) as disclosure.warehouse._record writes them
RECORDED = [
    ("exchange.fct_exchange_cells", 400, 40, 52, 3, 0),
    ("alliance.fct_intercity_indicators", 250, 10, 10, 0, 0),
    ("total", 500, 45, 57, 3, 0),
]
EXPECTED = [
    "price of safety (cells suppressed before and after the disclosure repair of 2026-12-04 00:00 UTC):",
    "  alliance.fct_intercity_indicators: suppressed before 10 of 250 (4.0%) -> after 10 (4.0%)",
    "  exchange.fct_exchange_cells: suppressed before 40 of 400 (10.0%) -> after 52 (13.0%)",
    "  total: suppressed before 45 of 500 (9.0%) -> after 57 (11.4%)",
]


def _record(path, rows=RECORDED) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists meta")
        con.execute(
            """create or replace table meta.disclosure_audit_summary (audited_at timestamp, table_name varchar,
            n_cells bigint, n_suppressed_before bigint, n_suppressed_after bigint, n_breakable_before bigint,
            n_breakable_after bigint)"""
        )
        con.executemany(
            "insert into meta.disclosure_audit_summary values (?, ?, ?, ?, ?, ?, ?)",
            [(datetime(2026, 12, 4), *r) for r in rows],
        )


def test_lines_are_the_recorded_rows_tables_first_total_last(tmp_path):
    path = tmp_path / "w.duckdb"
    _record(path)
    with duckdb.connect(str(path), read_only=True) as con:
        assert price_of_safety(con) == EXPECTED


def test_no_recorded_repair_is_said_not_invented(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert price_of_safety(con) == [
            "price of safety: no repair recorded (meta.disclosure_audit_summary is missing)"
        ]


def test_audit_command_and_demo_print_the_recorded_figures(tmp_path, capsys, monkeypatch):
    path = tmp_path / "w.duckdb"
    _record(path)
    assert main(["audit", "--warehouse", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if "suppressed before" in line or "price of safety" in line] == EXPECTED

    from orchestration import demo

    monkeypatch.setenv("WAREHOUSE_DUCKDB_PATH", str(path))
    assert demo._price_of_safety() == EXPECTED


@pytest.mark.slow
def test_repair_command_prints_what_it_recorded(published_demo, tmp_path, capsys):
    """On a copy of the small demo warehouse: the printed lines are the recorded rows, and these
    are the world's own shares (disclosure.audit.share_suppressed after the repair); a row changed
    in the record is what the audit command then prints."""
    from disclosure.audit import share_suppressed
    from disclosure.relations import load

    copy = tmp_path / "w.duckdb"
    shutil.copyfile(published_demo[0], copy)
    assert main(["repair", "--warehouse", str(copy)]) == 0
    printed = [line for line in capsys.readouterr().out.splitlines() if ": suppressed before " in line]
    with duckdb.connect(str(copy), read_only=True) as con:
        recorded = price_of_safety(con)[1:]
        recorded_rows = price.recorded(con)
        shares = share_suppressed(load(con))
    assert printed == recorded and len(printed) == len(shares) + 1 and printed[-1].startswith("  total: ")
    for table, (suppressed, n) in shares.items():
        assert any(
            line.startswith(f"  {table}: ") and f"of {n} " in line and f"-> after {suppressed} (" in line
            for line in printed
        ), (table, printed)

    with duckdb.connect(str(copy)) as con:
        con.execute("update meta.disclosure_audit_summary set n_suppressed_after = 999 where table_name = 'total'")
    main(["audit", "--warehouse", str(copy)])
    assert any(
        line.startswith("  total: ") and "-> after 999 (" in line for line in capsys.readouterr().out.splitlines()
    )
    # the copy's tables were repaired already: the re-run records its own start, before = after
    assert all(p.suppressed_before == p.suppressed_after for p in recorded_rows if p.table != "total")
