"""disclosure.curves: a published retention curve point is the retention cell's count."""

from __future__ import annotations

import duckdb
import pytest
from side_worlds import CITY, audit_file, audit_without_side_relations, cell, make_world, rows

from disclosure.curves import CURVE_TABLES, curve_key, hide
from disclosure.warehouse import repair_warehouse

BREAKDOWN = "nationality_group_arrival_2022"
CURVE_COLUMNS = (
    "city varchar, period varchar, nationality_group varchar, arrival_year bigint, months integer, "
    "retention double, ci_lower double, ci_upper double, n_at_risk bigint, n_left_cumulative bigint, basis varchar"
)
# left by 12 months / cohort: A holds the primary 1, B its complement
COHORT = {"INSGESAMT": (10, 40), "A": (1, 10), "B": (4, 15), "C": (5, 15)}


def _curve_rows(points: dict[tuple[str, int], tuple[int, int]], table: str = CURVE_TABLES[0]) -> tuple[str, ...]:
    """points: (group, months) -> (n_at_risk, n_left_cumulative)."""
    values = ", ".join(
        f"('{CITY}', '2026-Q3', '{g}', 2022, {m}, {1 - left / 15}, null, null, {risk}, {left}, 'register')"
        for (g, m), (risk, left) in points.items()
    )
    return (f"create table {table} ({CURVE_COLUMNS})", f"insert into {table} values {values}")


def _world(tmp_path, points, complement="B"):
    cells = [
        cell(
            "2026-Q3",
            "retention_12m",
            g,
            float(left),
            float(n),
            breakdown=BREAKDOWN,
            family="retention",
            reason="primary" if left in (1, 2) else ("secondary" if g == complement else None),
            value=1 - left / n,
        )
        for g, (left, n) in COHORT.items()
    ]
    return make_world(tmp_path / "curves.duckdb", cells, _curve_rows(points))


def test_a_curve_point_reopens_the_complement_and_the_repair_hides_more(tmp_path):
    # B's curve is published at 12 months (risk set 11, 4 left since 0): the B cell is known
    path = _world(tmp_path, {("B", 0): (15, 0), ("B", 12): (11, 4)})
    assert audit_without_side_relations(path).ok  # A + B = 10 - 5: A in [0, 5]
    report = audit_file(path)
    assert not report.ok
    (b,) = report.breakable
    assert b.key[3] == "retention_12m" and b.key[6] == "A" and b.key[7] == "numerator"
    assert any(step.startswith("curve: ") and "curve left at 12m" in step for step in b.chain)

    summary = repair_warehouse(path)
    assert summary.after.ok and summary.added_cells >= 1
    assert audit_file(path).ok


def test_the_risk_set_at_arrival_is_the_cohort_size(tmp_path):
    """A's denominator hidden with its numerator; A's curve at month 0 publishes the cohort (10)."""
    path = _world(tmp_path, {("A", 0): (10, 0)})
    con = duckdb.connect(str(path), read_only=True)
    try:
        from disclosure.relations import load

        world = load(con)
    finally:
        con.close()
    names = [r.name for r in world.problem.relations]
    assert any("denominator = at risk at 0m" in n and "group A" in n for n in names)
    from disclosure.lp import bounds_of

    key = (CITY, "2026-Q3", "register", "retention_12m", BREAKDOWN, "INSGESAMT", "A", "denominator")
    assert bounds_of(world.problem, key) == (10, 10)


def test_a_curve_that_is_not_the_cell_is_not_used(tmp_path):
    """A curve of another count (here 6 left, the cell says 4): the kind is dropped, nothing breaks."""
    path = _world(tmp_path, {("B", 12): (11, 6)})
    report = audit_file(path)
    assert "curve left retention_12m" in report.dropped_relations
    assert report.ok


@pytest.mark.parametrize("table", CURVE_TABLES)
def test_hide_drops_the_curve_point(tmp_path, table):
    path = make_world(tmp_path / "hide.duckdb", [], _curve_rows({("B", 12): (11, 4), ("B", 15): (9, 6)}, table))
    con = duckdb.connect(str(path))
    try:
        hide(con, [curve_key(CITY, "2026-Q3", "register", "B", 2022, 12)])
    finally:
        con.close()
    # dropped as the curve's own rule drops a point (a point without values fails the package check)
    assert rows(path, f"select months, retention, n_at_risk, n_left_cumulative from {table} order by 1") == [
        (15, 1 - 6 / 15, 9, 6),
    ]


def test_the_repair_refuses_a_warehouse_without_the_true_cells(tmp_path):
    """Without the city layer's cells before disclosure control the repair would judge as an
    attacker does and hide other cells than with them (a warehouse whose dbt ran on Spark before
    the import brought them): it fails and writes nothing."""
    from disclosure.lp import AuditError

    path = _world(tmp_path, {("B", 0): (15, 0), ("B", 12): (11, 4)})
    con = duckdb.connect(str(path))
    try:
        con.execute("drop table intermediate.int_exchange__cells")
    finally:
        con.close()
    suppressed = "select count(*) from exchange.fct_exchange_cells where is_suppressed"
    before = rows(path, suppressed)
    with pytest.raises(AuditError, match="int_exchange__cells"):
        repair_warehouse(path)
    assert rows(path, suppressed) == before
