"""Cells of the tables beside the cell layout (register vs official, retention curves, Dunkelziffer
estimates), added to the attacker's problem so that disclosure.periods, .curves and .side can
relate them to the cells of the exchange layout.

A side cell gets a key of the cell layout (city, period, basis, indicator, breakdown, district,
group) with an indicator id of its own (so that the groups / districts / identity loops of
disclosure.relations never pick it up), a row in the world's bookkeeping (its tables, where it
is suppressed; the repair writes a hidden side cell back through the module's `hide`), and one
problem cell per measure: a published point, or hidden (what the attacker knows is its sign).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from disclosure.lp import Cell, Problem

CITY = "INSGESAMT"


@dataclass
class SideContext:
    """What a side module may read and extend: the connection, the problem and the bookkeeping."""

    con: object
    problem: Problem
    rows: dict
    table_rows: dict
    truth: dict  # the audit's true values (key + measure -> value); side truths are added here
    new_row: type  # disclosure.relations.CellRow (passed in: no import cycle)
    scope: tuple[str, str] | None = None
    truth_prefix: str | None = None  # catalog prefix of the city layer ("wh." ...), None: no truth
    candidates: list[tuple[str, str, list]] = field(default_factory=list)

    def add(self, kind: str, name: str, total: tuple, parts: list[tuple[tuple, float]]) -> None:
        """A candidate relation total = sum(coef * part), checked like every other kind.

        Instances whose hidden cells have no true value while the audit judges against true
        values are left out: a cell the city layer holds without a value (withheld at the source)
        cannot be checked, and a relation over it may be wrong (lesson of the 0.003 world)."""
        terms = [(total, 1.0)] + [(p, -c) for p, c in parts]
        if any(k not in self.problem.cells for k, _ in terms):
            return
        if self.truth and any(self.problem.cells[k].suppressed and self.truth.get(k) is None for k, _ in terms):
            return
        self.candidates.append((kind, name, terms))


def table_exists(con, table: str) -> bool:
    parts = table.split(".")
    catalog = parts[0] if len(parts) == 3 else None
    schema, name = parts[-2:]
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ? "
            "and table_catalog = coalesce(?, current_database())",
            [schema, name, catalog],
        ).fetchone()[0]
    )


def table_columns(con, table: str) -> set[str]:
    """The columns of `table` ([catalog.]schema.name; the connection's own database without a
    catalog); empty when it does not exist."""
    parts = table.split(".")
    catalog = parts[0] if len(parts) == 3 else None
    return {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "and table_catalog = coalesce(?, current_database())",
            [*parts[-2:], catalog],
        ).fetchall()
    }


def has_columns(con, table: str, needed: set[str]) -> bool:
    """The table exists and has the columns a side module reads (a hand-made table of another
    shape, e.g. in a test, is not one of the published tables)."""
    return needed <= table_columns(con, table)


def truth_prefix(truth: str) -> str:
    """The catalog prefix of the city layer's relation `truth` ("wh." of "wh.intermediate.x", ""
    of "intermediate.x"): the side modules read the city layer's tables behind it there."""
    return truth.rsplit(".", 2)[0] + "." if truth.count(".") >= 2 else ""


def truth_rows(ctx: SideContext, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a city-layer query (`{p}` = the truth catalog prefix); none without true values."""
    if ctx.truth_prefix is None:
        return []
    try:
        return ctx.con.execute(sql.format(p=ctx.truth_prefix), params or []).fetchall()
    except Exception:  # not in this file (the planners' copy without the warehouse attached)
        return []


def add_cell(
    ctx: SideContext,
    key: tuple,
    measure: str,
    value: float | None,
    table: str,
    *,
    primary: bool = False,
    family: str | None = None,
    integer: bool = True,
    nonnegative: bool = True,
    true_value: float | None = None,
) -> Cell:
    """Register what `table` says about one measure of a side cell (None: not published there)."""
    row = ctx.rows.setdefault(key, ctx.new_row())
    if table not in row.tables:
        row.tables.append(table)
        ctx.table_rows.setdefault(table, set()).add(key)
        if value is None:
            row.suppressed_in.append(table)
    row.family = row.family or family
    row.primary = row.primary or (primary and value is None)
    full = (*key, measure)
    cell = ctx.problem.cells.get(full)
    if cell is None:
        position = (key[0], key[1], key[2], family or key[3], key[4], key[5], key[6])
        cell = Cell(integer=integer, nonnegative=nonnegative, position=position, true_value=true_value)
        cell.hide()
        ctx.problem.cells[full] = cell
        if true_value is not None:
            ctx.truth[full] = float(true_value)
    cell.tables = tuple(row.tables)
    if value is not None:  # published in any table: the attacker knows it
        cell.suppressed, cell.primary = False, False
        cell.lo = cell.hi = float(value)
    elif cell.suppressed:
        cell.primary = cell.primary or primary
    return cell


def scope_where(scope: tuple[str, str] | None, period_col: str = "period") -> tuple[str, list]:
    return (f"where city = ? and {period_col} = ?", list(scope)) if scope else ("", [])
