"""Small hand-made warehouses for the exchange and publish tests (no dbt run needed)."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.exchange import CELL_COLUMNS, GATE_COLUMNS


def cell(city="dortmund", period="2026-Q3", indicator_id="inflow", breakdown="nationality_group",
         group_value="INSGESAMT", is_total=True, basis="register", numerator=None, denominator=None,
         value=None, is_suppressed=False, suppression_reason=None, country="DE", **extra) -> dict:
    row = dict(city=city, country=country, period=period, indicator_id=indicator_id, breakdown=breakdown,
               group_value=group_value, is_total=is_total, basis=basis, method=None,
               is_provisional=False, is_break=False, numerator=numerator, denominator=denominator,
               value=value if value is not None else numerator, ci_lower=None, ci_upper=None,
               is_suppressed=is_suppressed, suppression_reason=suppression_reason)
    row.update(extra)
    if is_suppressed:
        row.update(numerator=None, denominator=None, value=None)
    return row


# A clean, already suppressed quarter of Dortmund: EU2 (1) is primary, ASYL8 its complement.
CLEAN_CELLS = [
    cell(numerator=40),
    cell(group_value="DE", is_total=False, numerator=30),
    cell(group_value="EU2", is_total=False, is_suppressed=True, suppression_reason="primary"),
    cell(group_value="ASYL8", is_total=False, is_suppressed=True, suppression_reason="secondary"),
    cell(group_value="EU_SONST", is_total=False, numerator=0),
    cell(indicator_id="ava_share", breakdown="total", numerator=6, denominator=30, value=0.2),
    cell(period="2026-Q2", numerator=33),                    # another quarter: not in the package
    cell(city="duisburg", numerator=50),                     # another city: not in the package
]
GATE_ROWS = [
    dict(city="dortmund", period="2026-Q3", source="schule", form="", applies_to_all_periods=False,
         check_names="row_count", reason="file cut off", first_blocked_delivery_period="2026-07",
         last_blocked_at="2026-10-02 03:00:00"),
]


def insert_rows(con, table: str, columns: dict[str, str], rows: list[dict]) -> None:
    cols = ", ".join(f"{c} {t}" for c, t in columns.items())
    con.execute(f"create table if not exists {table} ({cols})")
    placeholders = ", ".join("?" for _ in columns)
    for r in rows:
        con.execute(f"insert into {table} values ({placeholders})", [r.get(c) for c in columns])


def make_exchange_warehouse(path: Path, cells=CLEAN_CELLS, gate=GATE_ROWS, synthetic=True) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema exchange; create schema meta")
    insert_rows(con, "exchange.fct_exchange_cells", CELL_COLUMNS, cells)
    insert_rows(con, "exchange.fct_exchange_quality_gate", GATE_COLUMNS, gate)
    con.execute("create table meta.load_runs (run_id varchar, synthetic boolean)")
    con.execute("insert into meta.load_runs values ('r1', ?)", [synthetic])
    con.close()
    return path


@pytest.fixture
def exchange_warehouse(tmp_path) -> Path:
    return make_exchange_warehouse(tmp_path / "city.duckdb")
