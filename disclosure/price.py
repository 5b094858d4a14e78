"""The price of safety: the share of cells suppressed before and after the repair, per table.

Read from what the repair recorded (meta.disclosure_audit_summary, written by
disclosure.warehouse), not recomputed: the lines printed by `python -m disclosure repair|audit`,
the pipeline's disclosure step and `make demo` are the figures the warehouse holds. Counts and
shares only, never a cell's value, so the lines may be printed anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from disclosure.extra_cells import table_exists

SUMMARY_TABLE = "meta.disclosure_audit_summary"
TOTAL = "total"  # the summary's row over all cells (each cell once, whatever tables carry it)


@dataclass(frozen=True)
class Price:
    table: str
    n_cells: int
    suppressed_before: int
    suppressed_after: int
    audited_at: object = None  # when the repair ran (a re-run on repaired tables records before = after)


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def line(p: Price) -> str:
    return (
        f"{p.table}: suppressed before {p.suppressed_before} of {p.n_cells} "
        f"({_share(p.suppressed_before, p.n_cells)}) -> after {p.suppressed_after} "
        f"({_share(p.suppressed_after, p.n_cells)})"
    )


def recorded(con) -> list[Price] | None:
    """The rows of the last recorded repair, tables first and the total last; None when no
    repair was recorded in the connection's database."""
    if not table_exists(con, SUMMARY_TABLE):
        return None
    rows = con.execute(
        f"""select table_name, n_cells, n_suppressed_before, n_suppressed_after, audited_at
        from {SUMMARY_TABLE} order by table_name = '{TOTAL}', table_name"""
    ).fetchall()
    return [Price(*r) for r in rows]


def lines(prices: list[Price] | None) -> list[str]:
    if prices is None:
        return [f"price of safety: no repair recorded ({SUMMARY_TABLE} is missing)"]
    when = f" of {prices[0].audited_at:%Y-%m-%d %H:%M} UTC" if prices and prices[0].audited_at else ""
    return [f"price of safety (cells suppressed before and after the disclosure repair{when}):"] + [
        "  " + line(p) for p in prices
    ]


def price_of_safety(con) -> list[str]:
    return lines(recorded(con))
