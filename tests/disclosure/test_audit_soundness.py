"""The audit's problem must admit the truth: the true table is a feasible point (else its bounds
mean nothing), the cell kinds come from what a measure is (not from the values one city-quarter
shows), and an audit that cannot judge refuses the export."""

from __future__ import annotations

import duckdb
import pytest
from alliance.conftest import cell, insert_rows, make_exchange_warehouse

from disclosure.audit import audit_connection
from disclosure.lp import AuditError, Cell, Problem, RelationDoesNotHold, audit, check_truth
from disclosure.relations import load, measure_kind

# --- the truth is a feasible point -----------------------------------------------------------


def _row_of_four() -> Problem:
    """5, 1, 2 beside their published total 8; the 1 and the 2 hidden together."""
    p = Problem()
    for i, v in enumerate([5, 1, 2]):
        c = Cell(true_value=float(v), position=i)
        if i:
            c.hide()
            c.primary = True
        else:
            c.lo = c.hi = float(v)
        p.cells[i] = c
    p.cells["T"] = Cell(lo=8.0, hi=8.0, true_value=8.0, position="T")
    p.add_relation("row total", [("T", 1.0), (0, -1.0), (1, -1.0), (2, -1.0)])
    return p


def test_relations_that_hold_on_the_truth_pass():
    p = _row_of_four()
    check_truth(p)
    assert [(b.lo, b.hi, b.breakable) for b in audit(p, exact=True)] == [(0, 3, False)] * 2  # 1 + 2 = 3


def test_a_planted_relation_that_does_not_hold_is_named_not_its_values():
    """'the hidden cells are equal' fits the published cells (1.5 + 1.5 = 3: the LP is feasible)
    but not the true table (1 and 2): the audit refuses to judge, naming the relation."""
    p = _row_of_four()
    p.add_relation("planted: cell 1 = cell 2", [(1, 1.0), (2, -1.0)])
    with pytest.raises(RelationDoesNotHold, match="'planted: cell 1 = cell 2' does not hold") as exc:
        audit(p)
    assert not any(ch.isdigit() for ch in str(exc.value).replace("cell 1", "").replace("cell 2", ""))
    # without true values (the planners' copy) only the integer program finds it (1.5 is no count)
    for c in p.cells.values():
        c.true_value = None
    with pytest.raises(AuditError, match="no integer solution") as exc:
        audit(p)
    assert not isinstance(exc.value, RelationDoesNotHold)


def test_a_hidden_truth_outside_its_cell_kind_is_refused():
    p = _row_of_four()
    p.cells[1].true_value = -1.0  # a count taken as >= 0 whose truth is negative
    with pytest.raises(RelationDoesNotHold, match="cell kind.*non-negative"):
        check_truth(p)
    p.cells[1].true_value = 1.5  # an integer count whose truth is not an integer
    with pytest.raises(RelationDoesNotHold, match="cell kind.*integer"):
        check_truth(p)


def test_measure_kinds_come_from_the_definition():
    assert measure_kind("net_migration", "value") == (True, False)  # a balance: any sign
    assert measure_kind("inflow", "numerator") == (True, True)
    assert measure_kind("ava_share", "denominator") == (True, True)
    assert measure_kind("migration_volume_rate", "denominator") == (False, True)  # an average


# --- a city-quarter's balances: published >= 0, hidden < 0 ------------------------------------

GROUPS = ("INSGESAMT", "DE", "EU2", "ASYL8")


def _flows(inflow: dict, outflow: dict, net: dict, hidden: dict) -> list[dict]:
    """Cells of inflow, outflow and net migration by nationality group (dortmund 2026-Q3);
    hidden: {(indicator, group): reason}."""
    rows = []
    for indicator, counts in (("inflow", inflow), ("outflow", outflow), ("net_migration", net)):
        for g in GROUPS:
            reason = hidden.get((indicator, g))
            n = float(counts[g])
            rows.append(
                cell(
                    indicator_id=indicator,
                    group_value=g,
                    is_total=g == "INSGESAMT",
                    numerator=None if indicator == "net_migration" else n,
                    value=n,
                    is_suppressed=bool(reason),
                    suppression_reason=reason,
                )
            )
    return rows


def _truth_table(path, inflow, outflow, net) -> None:
    """The city layer's true cells (intermediate.int_exchange__cells) beside the tables."""
    columns = {
        c: t
        for c, t in {
            "city": "VARCHAR",
            "period": "VARCHAR",
            "basis": "VARCHAR",
            "indicator_id": "VARCHAR",
            "breakdown": "VARCHAR",
            "group_value": "VARCHAR",
            "numerator": "DOUBLE",
            "denominator": "DOUBLE",
            "value": "DOUBLE",
        }.items()
    }
    rows = [
        dict(
            city="dortmund",
            period="2026-Q3",
            basis="register",
            indicator_id=ind,
            breakdown="nationality_group",
            group_value=g,
            numerator=None if ind == "net_migration" else float(counts[g]),
            value=float(counts[g]),
        )
        for ind, counts in (("inflow", inflow), ("outflow", outflow), ("net_migration", net))
        for g in GROUPS
    ]
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists intermediate")
    insert_rows(con, "intermediate.int_exchange__cells", columns, rows)
    con.close()


# EU2 and ASYL8 hidden in all three indicators; the published balances (total 7, DE 10) are
# >= 0, the hidden EU2 balance is -4: taken as a count, the hidden balances would have to sum to
# 7 - 10 = -3 with both >= 0 (infeasible).
INFLOW = {"INSGESAMT": 25, "DE": 20, "EU2": 1, "ASYL8": 4}
OUTFLOW = {"INSGESAMT": 18, "DE": 10, "EU2": 5, "ASYL8": 3}
NET = {"INSGESAMT": 7, "DE": 10, "EU2": -4, "ASYL8": 1}
HIDDEN = {("inflow", "EU2"): "primary", ("inflow", "ASYL8"): "secondary"} | {
    (ind, g): "secondary" for ind in ("outflow", "net_migration") for g in ("EU2", "ASYL8")
}


@pytest.fixture
def negative_hidden_balance(tmp_path):
    wh = make_exchange_warehouse(
        tmp_path / "balances.duckdb", cells=_flows(INFLOW, OUTFLOW, NET, HIDDEN), district_cells=[]
    )
    _truth_table(wh, INFLOW, OUTFLOW, NET)
    return wh


def test_a_hidden_negative_balance_beside_published_nonnegative_ones_is_judged(negative_hidden_balance, tmp_path):
    from orchestration.exchange import export_package

    con = duckdb.connect(str(negative_hidden_balance), read_only=True)
    try:
        world = load(con, scope=("dortmund", "2026-Q3"))
        balance = world.problem.cells[
            ("dortmund", "2026-Q3", "register", "net_migration", "nationality_group") + ("INSGESAMT", "EU2", "value")
        ]
        assert balance.suppressed and not balance.nonnegative and balance.lo == float("-inf")
        assert balance.true_value == -4.0
        report = audit_connection(con, scope=("dortmund", "2026-Q3"))
    finally:
        con.close()
    assert report.ok and report.tables["exchange.fct_exchange_cells"].suppressed == 6 and report.n_relations >= 6
    folder = export_package("dortmund", "2026-Q3", tmp_path / "outbox", negative_hidden_balance)
    assert (folder / "manifest.json").exists()


def test_the_old_kind_rule_would_not_judge_it(negative_hidden_balance, monkeypatch):
    """The bug this guards against: a balance taken as >= 0 (as the values seen in the scope
    suggested) makes the truth infeasible - named with the truth, an infeasible LP without."""
    import disclosure.relations as relations

    monkeypatch.setattr(relations, "BALANCES", set())
    con = duckdb.connect(str(negative_hidden_balance), read_only=True)
    try:
        with pytest.raises(RelationDoesNotHold, match="net_migration.value is taken as non-negative"):
            audit_connection(con, scope=("dortmund", "2026-Q3"))
        with pytest.raises(AuditError, match="infeasible"):
            audit_connection(con, use_truth=False, scope=("dortmund", "2026-Q3"))
    finally:
        con.close()


@pytest.fixture
def inconsistent(tmp_path):
    """Published cells no table can fit (each relation alone can, together they cannot): the
    hidden outflows add up to 0, yet the published ASYL8 balance needs an ASYL8 outflow of 4.
    The file also says a whole-build audit found 0 breakable cells."""
    inflow = {"INSGESAMT": 21, "DE": 20, "EU2": 0, "ASYL8": 0}
    outflow = {"INSGESAMT": 10, "DE": 10, "EU2": 0, "ASYL8": 0}
    net = {"INSGESAMT": 11, "DE": 10, "EU2": 5, "ASYL8": -4}
    hidden = {
        (ind, g): "primary" if g == "EU2" else "secondary" for ind in ("inflow", "outflow") for g in ("EU2", "ASYL8")
    }
    wh = make_exchange_warehouse(
        tmp_path / "inconsistent.duckdb", cells=_flows(inflow, outflow, net, hidden), district_cells=[]
    )
    con = duckdb.connect(str(wh))
    con.execute(
        "create table meta.disclosure_audit_summary as select 'total' as table_name, 0::bigint as n_breakable_after"
    )
    con.close()
    return wh


def test_an_audit_that_cannot_judge_refuses_the_export(inconsistent, tmp_path):
    """A whole-build verdict of 0 breakable does not stand in for the city-quarter's audit."""
    from orchestration.exchange import PackageRejected, export_package

    with pytest.raises(PackageRejected, match="cannot judge the pattern.*infeasible"):
        export_package("dortmund", "2026-Q3", tmp_path / "outbox", inconsistent)
    assert not (tmp_path / "outbox" / "dortmund_2026-Q3").exists()


def test_the_command_fails_when_the_audit_cannot_judge(inconsistent, capsys):
    from disclosure.__main__ import main

    assert main(["audit", "--warehouse", str(inconsistent)]) == 1
    assert "cannot judge the pattern" in capsys.readouterr().err
