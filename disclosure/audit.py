"""The audit of a build's suppression pattern, its report, the repair and the blocking check.

`audit_connection(con)` judges every primary-suppressed cell of the cell tables in the
connection's file against everything published beside it (disclosure.relations,
disclosure.lp). The report counts per table and in total the cells checked, suppressed and
breakable, and lists for each breakable cell its key and the relation chain that breaks it -
never a value. Its own output stays in the city layer (stdout, meta.disclosure_audit* of the
warehouse).

`repair_warehouse(path)` hides further cells (secondary suppression) until the audit finds none
breakable, in every table that carries the cell; `require_safe(con, where)` raises
BreakablePattern (the publish step and the exchange export call it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from disclosure.lp import Bound, audit
from disclosure.relations import CELL_TABLES, COVERED, NOT_COVERED, World, load

MAX_LISTED = 20


class BreakablePattern(RuntimeError):
    """A suppression pattern an attacker can break with the published tables; not published."""


@dataclass
class TableCount:
    checked: int = 0
    suppressed: int = 0
    breakable: int = 0


@dataclass
class AuditReport:
    tables: dict[str, TableCount]
    total: TableCount
    breakable: list[Bound] = field(default_factory=list)
    dropped_relations: list[str] = field(default_factory=list)
    n_relations: int = 0

    @property
    def ok(self) -> bool:
        return self.total.breakable == 0

    def headline(self) -> str:
        return f"{self.total.breakable} breakable of {self.total.suppressed} suppressed cells"

    def lines(self) -> list[str]:
        out = [
            f"disclosure audit: {self.headline()} ({self.total.checked} cells checked, {self.n_relations} relations)"
        ]
        for table, c in self.tables.items():
            out.append(f"  {table}: {c.checked} checked, {c.suppressed} suppressed, {c.breakable} breakable")
        if self.dropped_relations:
            out.append("  relations that do not hold in the data (not used): " + ", ".join(self.dropped_relations))
        for b in self.breakable[:MAX_LISTED]:
            out.append(f"  BREAKABLE {_key_text(b.key)}: {b.reason}")
            out += [f"      via {step}" for step in b.chain]
        if len(self.breakable) > MAX_LISTED:
            out.append(f"  ... and {len(self.breakable) - MAX_LISTED} more")
        return out


def _key_text(key: tuple) -> str:
    city, period, basis, indicator, breakdown, district, group, measure = key
    return f"{city} {period} {basis} {indicator} [{breakdown}] district {district} group {group} ({measure})"


def report_of(world: World, bounds: list[Bound] | None = None) -> AuditReport:
    bounds = audit(world.problem) if bounds is None else bounds
    broken = [b for b in bounds if b.breakable]
    broken_rows = {b.key[:7] for b in broken}
    tables: dict[str, TableCount] = {}
    # the cell tables first, then the side tables (disclosure.periods, .curves, .side)
    for table in dict.fromkeys([t for t, _ in CELL_TABLES] + list(world.table_rows)):
        keys = world.table_rows.get(table)
        if not keys:
            continue
        tables[table] = TableCount(
            checked=len(keys),
            suppressed=sum(1 for k in keys if table in world.rows[k].suppressed_in),
            breakable=sum(1 for k in keys if k in broken_rows),
        )
    total = TableCount(
        checked=len(world.rows),
        suppressed=sum(1 for r in world.rows.values() if r.suppressed_in),
        breakable=len(broken_rows),
    )
    return AuditReport(
        tables, total, sorted(broken, key=lambda b: str(b.key)), world.dropped, len(world.problem.relations)
    )


def audit_connection(con, use_truth: bool = True, **load_args) -> AuditReport:
    return report_of(load(con, use_truth=use_truth, **load_args))


def require_safe(con, where: str, **load_args) -> AuditReport:
    """The audit as a blocking check: raises BreakablePattern with the reason (load_args: the
    relation with the true values, a city-quarter scope; see disclosure.relations.load)."""
    report = audit_connection(con, **load_args)
    if not report.ok:
        first = report.breakable[0]
        raise BreakablePattern(
            f"refusing {where}: {report.headline()}; e.g. {_key_text(first.key)}: {first.reason}"
            + (f" via {' / '.join(first.chain[:3])}" if first.chain else "")
        )
    return report


def share_suppressed(world: World) -> dict[str, tuple[int, int]]:
    """(suppressed, checked) per table."""
    out = {}
    for table, keys in world.table_rows.items():
        out[table] = (sum(1 for k in keys if table in world.rows[k].suppressed_in), len(keys))
    return out


def relations_note() -> str:
    return f"relations covered: {COVERED}; not covered: {NOT_COVERED}"


def rows_by_position(world: World) -> dict[tuple, list[tuple]]:
    out: dict[tuple, list[tuple]] = defaultdict(list)
    for key in world.rows:
        for m in ("numerator", "denominator", "value"):
            cell = world.problem.cells.get((*key, m))
            if cell is not None:
                out[cell.position].append(key)
                break
    return out
