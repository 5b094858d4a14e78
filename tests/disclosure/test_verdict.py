"""The fingerprint of a verdict changes with every input of the audit, and only a verdict of 0
breakable over the same fingerprint and rule version is reused."""

from __future__ import annotations

import duckdb
import pytest
from alliance.conftest import make_exchange_warehouse

import disclosure.verdict as verdict


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(make_exchange_warehouse(tmp_path / "wh.duckdb")))
    yield c
    c.close()


def test_the_fingerprint_follows_cells_pattern_truth_and_rules(con, monkeypatch):
    first = verdict.fingerprint(con)
    assert verdict.fingerprint(con) == first  # deterministic
    con.execute("update exchange.fct_exchange_cells set numerator = numerator + 1 where group_value = 'DE'")
    cells = verdict.fingerprint(con)
    con.execute("update exchange.fct_exchange_cells set suppression_reason = 'primary' where group_value = 'ASYL8'")
    pattern = verdict.fingerprint(con)
    con.execute(
        "create schema intermediate; create table intermediate.int_exchange__cells as select city, period, basis, "
        "indicator_id, breakdown, group_value, numerator, denominator, value from exchange.fct_exchange_cells"
    )
    truth = verdict.fingerprint(con)
    monkeypatch.setattr(verdict, "RULE_VERSION", "another")
    rules = verdict.fingerprint(con)
    assert len({first, cells, pattern, truth, rules}) == 5


def test_only_a_safe_verdict_of_the_same_fingerprint_is_reused(con, monkeypatch):
    fp = verdict.fingerprint(con)
    assert verdict.reusable(con, fp) is None  # nothing recorded
    verdict.record(con, fp, False, "1 breakable of 2 suppressed cells")
    assert verdict.reusable(con, fp) is None  # a breakable verdict never stands in
    verdict.record(con, fp, True, "0 breakable of 2 suppressed cells")
    assert verdict.reusable(con, fp).headline == "0 breakable of 2 suppressed cells"
    assert verdict.reusable(con, "0" * 64) is None
    monkeypatch.setattr(verdict, "RULE_VERSION", "another")
    assert verdict.reusable(con, fp) is None


def test_the_fingerprint_follows_the_tables_beside_the_cell_layout(con):
    # the audit also reads retention curves (disclosure.curves): a curve point reopened after the
    # repair must not let publish reuse the repair's verdict
    con.execute(
        "create schema if not exists alliance; create table alliance.fct_retention_curves (city varchar, period varchar, basis varchar, "
        "nationality_group varchar, arrival_year integer, months integer, n_at_risk integer, "
        "n_left_cumulative integer, survival double)"
    )
    con.execute(
        "insert into alliance.fct_retention_curves values ('muenster', '2026-Q1', 'register', 'EU2', 2022, 12, 40, 3, 0.9)"
    )
    before = verdict.fingerprint(con)
    con.execute("update alliance.fct_retention_curves set n_left_cumulative = 2")
    reopened = verdict.fingerprint(con)
    con.execute("update alliance.fct_retention_curves set survival = 0.5")
    assert verdict.fingerprint(con) == reopened  # a column the audit does not read
    assert before != reopened
