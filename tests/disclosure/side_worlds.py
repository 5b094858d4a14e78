"""Hand-built DuckDB files for the relation kinds of disclosure.periods / .curves / .side: a cell
table (exchange.fct_exchange_cells) with its city-layer truth (intermediate.int_exchange__cells),
and the side tables a test needs, in the columns the audit and the repair read and write."""

from __future__ import annotations

from pathlib import Path

import duckdb

import disclosure.relations as relations
from disclosure.audit import audit_connection

CITY = "testcity"
CELL_COLUMNS = (
    "city varchar, period varchar, basis varchar, indicator_id varchar, breakdown varchar, group_value varchar, "
    "is_total boolean, is_suppressed boolean, suppression_reason varchar, suppression_family varchar, "
    "numerator double, denominator double, value double, ci_lower double, ci_upper double"
)


def cell(
    period,
    indicator,
    group,
    numerator,
    denominator=None,
    *,
    reason=None,
    breakdown="nationality_group",
    total=None,
    family=None,
    value=None,
):
    """(true values, suppression reason): reason None = published."""
    return {
        "period": period, "indicator": indicator, "breakdown": breakdown, "group": group,
        "total": group == "INSGESAMT" if total is None else total, "reason": reason, "family": family,
        "numerator": numerator, "denominator": denominator, "value": value,
    }  # fmt: skip


def make_world(path: Path, cells: list[dict], statements: tuple[str, ...] = ()) -> Path:
    con = duckdb.connect(str(path))
    try:
        for schema in ("exchange", "intermediate", "alliance", "official", "marts"):
            con.execute(f"create schema {schema}")
        con.execute(f"create table exchange.fct_exchange_cells ({CELL_COLUMNS})")
        con.execute(
            "create table intermediate.int_exchange__cells (city varchar, period varchar, basis varchar, "
            "indicator_id varchar, breakdown varchar, group_value varchar, numerator double, denominator double, "
            "value double)"
        )
        for c in cells:
            hidden = c["reason"] is not None
            key = [CITY, c["period"], "register", c["indicator"], c["breakdown"], c["group"]]
            measures = [c["numerator"], c["denominator"], c["value"]]
            con.execute(
                "insert into exchange.fct_exchange_cells values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, null)",
                [*key, c["total"], hidden, c["reason"], c["family"], *([None] * 3 if hidden else measures)],
            )
            con.execute(
                "insert into intermediate.int_exchange__cells values (?, ?, ?, ?, ?, ?, ?, ?, ?)", key + measures
            )
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()
    return path


def audit_file(path: Path, **args):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return audit_connection(con, **args)
    finally:
        con.close()


def audit_without_side_relations(path: Path, **args):
    """The audit as it was before these kinds: the cell layout's relations only."""
    saved = relations.SIDE_MODULES
    relations.SIDE_MODULES = ()
    try:
        return audit_file(path, **args)
    finally:
        relations.SIDE_MODULES = saved


def rows(path: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
