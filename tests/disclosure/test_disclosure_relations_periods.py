"""disclosure.periods: a register year = its quarters; stock(t) - stock(t-1) = the flows where exact."""

from __future__ import annotations

import pytest
from side_worlds import CITY, audit_file, audit_without_side_relations, cell, make_world, rows

from disclosure.periods import REGISTER_TABLES, hide, year_key
from disclosure.warehouse import repair_warehouse

REGISTER_COLUMNS = (
    "city varchar, city_key varchar, year integer, period varchar, flow varchar, register_value bigint, "
    "register_months integer, register_status_changes bigint, official_value double, difference double, "
    "ratio_register_to_official double, is_suppressed boolean, suppression_reason varchar"
)


def _register_table(year_value: int, official: float = 30.0, table: str = REGISTER_TABLES[0]) -> tuple[str, ...]:
    return (
        f"create table {table} ({REGISTER_COLUMNS})",
        f"insert into {table} values ('{CITY}', 'K1', 2024, '2024-Q4', 'zuzuege', {year_value}, 12, 0, {official}, "
        f"{year_value - official}, {year_value / official}, false, null)",
        # the private original: the true register count (the audit's truth in the city layer)
        "create table official.fct_register_vs_official_migration (city varchar, year integer, flow varchar, "
        "register_value bigint, difference double)",
        f"insert into official.fct_register_vs_official_migration values ('{CITY}', 2024, 'zuzuege', {year_value}, "
        f"{year_value - official})",
    )


QUARTERS = {"2024-Q1": 10, "2024-Q2": 1, "2024-Q3": 12, "2024-Q4": 9}


def _quarter_world(tmp_path, year_value: int):
    cells = [
        cell(p, "inflow", "INSGESAMT", float(v), reason="primary" if v == 1 else None, family="fluctuation")
        for p, v in QUARTERS.items()
    ]
    return make_world(tmp_path / "years.duckdb", cells, _register_table(year_value))


def test_the_register_year_reveals_a_lonely_quarter_and_the_repair_hides_another(tmp_path):
    path = _quarter_world(tmp_path, sum(QUARTERS.values()))
    assert audit_without_side_relations(path).ok  # no relation holds the quarter: the old audit passed it
    report = audit_file(path)
    assert not report.ok
    (b,) = report.breakable
    assert b.key[1] == "2024-Q2" and b.key[3] == "inflow"
    assert any(step.startswith("year: ") for step in b.chain)

    summary = repair_warehouse(path)
    assert summary.after.ok and summary.added_cells >= 1
    hidden = rows(path, "select period from exchange.fct_exchange_cells where is_suppressed order by 1")
    assert len(hidden) >= 2  # a second quarter (a detail, not the published year)
    assert rows(path, f"select register_value from {REGISTER_TABLES[0]}") == [(32,)]
    assert audit_file(path).ok


def test_a_year_that_is_not_its_quarters_is_not_used(tmp_path):
    """Late registrations: the register year (33) is not the sum of the quarters (32) - dropped."""
    path = _quarter_world(tmp_path, sum(QUARTERS.values()) + 1)
    report = audit_file(path)
    assert report.ok
    assert f"year sum {CITY} inflow" in report.dropped_relations


def _stock_world(tmp_path, outflow: int):
    """population Q1 = 5, Q2 = 2 (primary); inflow Q2 = 0, outflow Q2 = `outflow`."""
    cells = [
        cell("2024-Q1", "population", "INSGESAMT", 5.0, family="stock"),
        cell("2024-Q2", "population", "INSGESAMT", 2.0, reason="primary", family="stock"),
        cell("2024-Q2", "inflow", "INSGESAMT", 0.0, family="fluctuation"),
        cell("2024-Q2", "outflow", "INSGESAMT", float(outflow), family="fluctuation"),
    ]
    return make_world(tmp_path / f"stock{outflow}.duckdb", cells)


def test_stock_and_flows_break_a_stock_where_they_are_exact(tmp_path):
    path = _stock_world(tmp_path, outflow=3)  # 5 + 0 - 3 = 2: exact
    assert audit_without_side_relations(path).ok
    report = audit_file(path)
    assert [b.key[3] for b in report.breakable] == ["population"]
    assert any(step.startswith("stock-flow: ") for step in report.breakable[0].chain)
    assert repair_warehouse(path).after.ok


def test_stock_and_flows_are_not_used_where_births_and_deaths_intervene(tmp_path):
    path = _stock_world(tmp_path, outflow=4)  # 5 + 0 - 4 = 1 but the stock is 2: not exact
    report = audit_file(path)
    assert report.ok and f"stock-flow {CITY}" in report.dropped_relations


@pytest.mark.parametrize("table", REGISTER_TABLES)
def test_hide_withholds_the_register_count_and_what_reveals_it(tmp_path, table):
    path = make_world(tmp_path / "hide.duckdb", [], _register_table(32, table=table))
    import duckdb

    con = duckdb.connect(str(path))
    try:
        hide(con, [year_key(CITY, 2024, "zuzuege")])
    finally:
        con.close()
    assert rows(
        path,
        f"select register_value, difference, ratio_register_to_official, is_suppressed, suppression_reason, "
        f"official_value from {table}",
    ) == [(None, None, None, True, "secondary", 30.0)]
