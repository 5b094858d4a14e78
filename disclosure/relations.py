"""The attacker's view: every published cell table of a build, and the linear relations between cells.

Cells are read from every table that publishes them (the exchange tables the packages carry,
the hub's copies, the alliance tables the planners' copy holds) and identified across tables by
(city, period, basis, indicator, breakdown, district, group) and measure (numerator, denominator,
or the value of a balance). A cell published in any table is known to the attacker.

Relations derived (each written total first, checked against the data before use):
- groups:    a breakdown's INSGESAMT row = the sum of its groups (nationality groups, and the
             groups of every retention cohort); the summary group AUSL = the non-national groups;
- districts: the city row (district INSGESAMT) = the sum of the districts of the indicator's one
             district table (fct_exchange_district_cells: one level per indicator and city);
- identities between indicators of one cell position computed from the same counts (the
             share registered 3+ years has the population as denominator, the AVA share the
             outflows, net migration = inflows - outflows, the migration volume = inflows +
             outflows, the counselling share the contacts, both migration rates the same
             average population).
- beside the cell layout (disclosure.periods, .curves, .side; `_side_candidates`): register years
             to quarters, stock and flows, retention curves to the retention cells, Dunkelziffer
             registered counts to the cells and the population, register vs official.
A relation kind that does not hold on a fully published instance (or on the city layer's true
values, where the audit runs in the city layer) is not used, and the audit says so.

A cell's kind (integer, non-negative) is what its measure is (`measure_kind`), and an indicator's
measures are those it carries in the whole build: judged from the values one city-quarter shows,
a scope whose published balances were all >= 0 took a hidden negative one for a count (an
infeasible LP). Where the true values are known, disclosure.lp.check_truth verifies that they fit
every relation used and every kind.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from disclosure import curves, periods, side
from disclosure.extra_cells import SideContext, table_columns, truth_prefix
from disclosure.lp import Cell, Problem

# (table, has district_code): the cell tables of the exchange layout, in the order they are read.
CELL_TABLES = (
    ("exchange.fct_exchange_cells", False),
    ("exchange.fct_exchange_district_cells", True),
    ("exchange.fct_exchange_hub_cells", False),
    ("exchange.fct_exchange_hub_district_cells", True),
    ("alliance.fct_intercity_indicators", False),
    ("alliance.fct_district_indicators", True),
)
CITY = "INSGESAMT"  # district code of the city, and group of a breakdown's total
MEASURES = ("numerator", "denominator", "value")
# The relation kinds of the tables beside the cell layout; periods first (side relates its cells).
SIDE_MODULES = (periods, curves, side)
# Indicators whose value is itself an additive quantity without a numerator (a balance).
VALUE_MEASURE = {"net_migration"}
NATIONAL_GROUPS = ("DE", "NL")
# What a measure is (disclosure.relations.measure_kind): every other numerator and denominator
# is a count of persons, events or objects (an integer >= 0).
BALANCES = {("net_migration", "value")}  # inflows - outflows: any sign
NOT_INTEGER = {  # averages and estimates (>= 0, not integers)
    ("migration_volume_rate", "denominator"),  # average population of the quarter
    ("net_migration_rate", "denominator"),
    ("unregistered_estimate", "numerator"),  # the estimate's point
}
# Indicators whose city-layer cell carries a placeholder where the source withheld the count (SGB II:
# the Agency's `*` enters as 1 so that the primary rule hides it; the true count is unknown).
PLACEHOLDER_TRUTH = {"sgb2_elb_rate"}
SUMMARY = ("nationality_summary", "AUSL", "nationality_group")
# (total, parts): (indicator, measure) = sum of coef * (indicator, measure) at the same position.
IDENTITIES = (
    (("dwell_3y_share", "denominator"), ((("population", "numerator"), 1.0),)),
    (("ava_share", "denominator"), ((("outflow", "numerator"), 1.0),)),
    (("migration_volume_rate", "numerator"), ((("inflow", "numerator"), 1.0), (("outflow", "numerator"), 1.0))),
    (("net_migration", "value"), ((("inflow", "numerator"), 1.0), (("outflow", "numerator"), -1.0))),
    (("net_migration_rate", "denominator"), ((("migration_volume_rate", "denominator"), 1.0),)),
    (("counselling_unregistered_share", "denominator"), ((("counselling_contacts", "numerator"), 1.0),)),
)
COVERED = (
    "groups to INSGESAMT (every breakdown with a total), AUSL = non-national groups, districts to the "
    "city, identities between indicators of the same counts; register year = its quarters (register vs "
    "official, per city where exact), stock(t) - stock(t-1) = inflow - outflow (where exact), retention "
    "curve points = retention cell counts (left at 12 / 36 months, risk set at arrival = cohort), "
    "Dunkelziffer registered counts = the cells' and their bands = the population, register - difference "
    "= official (the official figure an interval: rounded sources stay rounded)"
)
NOT_COVERED = (
    "inequalities (a curve's monotone departures, a stock change within the unpublished natural change, "
    "bounded slack), nonlinear rates and shares (retention S x cohort with censoring, register / official "
    "ratios), Dunkelziffer point estimates (not additive), official tables other than the migration "
    "figures of register vs official (different bases: no linear relation to register cells), quarters "
    "to years outside register vs official (no other table publishes both)"
)


@dataclass
class CellRow:
    """What the tables say about one cell position (key without measure)."""

    tables: list[str] = field(default_factory=list)
    suppressed_in: list[str] = field(default_factory=list)
    published: dict[str, float] = field(default_factory=dict)
    primary: bool = False
    is_total: bool = False
    family: str | None = None


@dataclass
class World:
    """Cells of a build as the attacker sees them, with the relations and the bookkeeping."""

    problem: Problem
    rows: dict[tuple, CellRow]
    table_rows: dict[str, set[tuple]]
    dropped: list[str]


def _scope_sql(scope: tuple[str, str] | None) -> tuple[str, list]:
    return ("where city = ? and period = ?", list(scope)) if scope else ("", [])


def _cell_columns(con, table: str) -> set[str]:
    """The table's columns, or an empty set when it is missing or not of the cell layout (e.g. a
    hand-made table of another shape)."""
    cols = table_columns(con, table)
    return cols if {"city", "period", "indicator_id", "group_value"} <= cols else set()


def _read(con, table: str, has_district: bool, scope: tuple[str, str] | None = None) -> list[tuple]:
    # rows in a fixed order (order by all): the repair is greedy and takes the first of equally good
    # candidates, so a table's physical row order (which a rebuild with threads may change) must not
    # decide which cells it hides
    cols = _cell_columns(con, table)
    if not cols:
        return []

    def col(name: str, default: str = "null") -> str:
        return name if name in cols else default

    district = "district_code" if has_district and "district_code" in cols else f"'{CITY}'"
    family = col("suppression_family")
    reason = col("suppression_reason")
    where, params = _scope_sql(scope)
    return con.execute(
        f"""select city, period, coalesce({col("basis")}, 'register'), indicator_id, coalesce({col("breakdown")}, ''),
               {district}, group_value, coalesce({col("is_total")}, false), coalesce({col("is_suppressed")}, false),
               {reason}, {family}, {col("numerator")}, {col("denominator")}, {col("value")}
        from {table} {where}
        order by all""",
        params,
    ).fetchall()


TRUTH = "intermediate.int_exchange__cells"


def _truth(con, relation: str = TRUTH, scope: tuple[str, str] | None = None) -> dict[tuple, float]:
    """True values of the city level (the city layer's cells before disclosure control), if present."""
    where, params = _scope_sql(scope)
    try:
        rows = con.execute(
            f"""select city, period, coalesce(basis, 'register'), indicator_id, coalesce(breakdown, ''),
                   '{CITY}', group_value, numerator, denominator, value
            from {relation} {where}""",
            params,
        ).fetchall()
    except Exception:  # not in this file (the planners' copy): judge without true values
        return {}
    out = {}
    for r in rows:
        if r[3] in PLACEHOLDER_TRUTH and r[9] is None:
            continue  # withheld at the source: the city layer does not know the count either
        for m, v in zip(MEASURES, r[7:10], strict=True):
            if v is not None:
                out[(*r[:7], m)] = float(v)
    return out


def load(
    con, tables=CELL_TABLES, use_truth: bool = True, truth: str = TRUTH, scope: tuple[str, str] | None = None
) -> World:
    """The attacker's problem over every cell table of the connection's file (or one city and
    quarter: `scope`). True values come from `truth` (the city layer) where it can be read: the
    planners' copy has none, the publish step reads them from the warehouse it copies."""
    rows: dict[tuple, CellRow] = {}
    table_rows: dict[str, set[tuple]] = defaultdict(set)
    measure_seen: set[tuple[str, str]] = set()
    for table, has_district in tables:
        for r in _read(con, table, has_district, scope):
            key = tuple(r[:7])
            row = rows.setdefault(key, CellRow())
            row.tables.append(table)
            table_rows[table].add(key)
            row.is_total = row.is_total or bool(r[7])
            row.family = row.family or r[10]
            if r[8]:
                row.suppressed_in.append(table)
                row.primary = row.primary or r[9] == "primary"
            for m, v in zip(MEASURES, r[11:14], strict=True):
                if v is None or (m == "value" and key[3] not in VALUE_MEASURE):
                    continue
                row.published[m] = float(v)
                measure_seen.add((key[3], m))
    families = {k[3]: r.family for k, r in rows.items() if r.family}
    truth_values = _truth(con, truth, scope) if use_truth else {}

    # The measures an indicator has: those it carries anywhere in the build (a scope may hide
    # every cell of one), never just what one city-quarter shows.
    measures_of = _measures_in_build(con, tables) if scope else defaultdict(set)
    for ind, m in measure_seen:
        measures_of[ind].add(m)
    problem = Problem()
    for key, row in rows.items():
        family = families.get(key[3], key[3])
        position = (key[0], key[1], key[2], family, key[4], key[5], key[6])
        for m in sorted(measures_of.get(key[3], ()), key=MEASURES.index):
            integer, nonneg = measure_kind(key[3], m)
            cell = Cell(
                integer=integer,
                nonnegative=nonneg,
                position=position,
                tables=tuple(row.tables),
                true_value=truth_values.get((*key, m)),
            )
            if m in row.published:
                cell.lo = cell.hi = row.published[m]
            else:
                cell.hide()
                cell.primary = row.primary
            problem.cells[(*key, m)] = cell
    side = _side_candidates(con, problem, rows, table_rows, truth_values, truth if use_truth else None, scope)
    dropped = _add_relations(problem, rows, truth_values, _dropped_before(con) if scope else frozenset(), side)
    return World(problem, rows, dict(table_rows), dropped)


def measure_kind(indicator: str, measure: str) -> tuple[bool, bool]:
    """(integer, nonnegative) of a measure by what it is, not by the values a scope shows: counts
    and denominators are non-negative integers, a balance (BALANCES) has no sign, an average or
    an estimate (NOT_INTEGER) is no integer. (Taken from the values seen, a city-quarter whose
    published balances were all >= 0 made a hidden negative one impossible: an infeasible LP.)"""
    return (indicator, measure) not in NOT_INTEGER, (indicator, measure) not in BALANCES


def _measures_in_build(con, tables) -> dict[str, set[str]]:
    """{indicator: measures it carries in any row of the tables} (unscoped)."""
    out: dict[str, set[str]] = defaultdict(set)
    for table, _ in tables:
        cols = _cell_columns(con, table)
        present = [m for m in MEASURES if m in cols]
        if not present:
            continue
        flags = ", ".join(f"bool_or({m} is not null)" for m in present)
        for ind, *has in con.execute(f"select indicator_id, {flags} from {table} group by 1").fetchall():
            for m, h in zip(present, has, strict=True):
                if h and (m != "value" or ind in VALUE_MEASURE):
                    out[ind].add(m)
    return out


def _side_candidates(con, problem, rows, table_rows, truth_values, truth, scope) -> list:
    """Cells and candidate relations of the tables beside the cell layout (disclosure.periods,
    .curves, .side): (kind, name, terms), checked below like every other kind."""
    prefix = None if truth is None else truth_prefix(truth)
    ctx = SideContext(con, problem, rows, table_rows, truth_values, CellRow, scope, prefix)
    for module in SIDE_MODULES:
        module.candidates(ctx)
    return ctx.candidates


DROPPED = "meta.disclosure_relations_not_used"


def _dropped_before(con) -> frozenset:
    """Relation kinds the last full audit found not to hold (a city-quarter alone may not show it)."""
    try:
        return frozenset(r[0] for r in con.execute(f"select kind from {DROPPED}").fetchall())
    except Exception:
        return frozenset()


def _add_relations(
    problem: Problem, rows: dict[tuple, CellRow], truth: dict, known_dropped: frozenset = frozenset(), side=()
) -> list[str]:
    candidates: dict[str, list[tuple[str, list[tuple[tuple, float]]]]] = defaultdict(list)
    for kind, name, terms in side:
        candidates[kind].append((name, terms))

    def add(kind: str, name: str, total: tuple, parts: list[tuple[tuple, float]]) -> None:
        candidates[kind].append((name, [(total, 1.0)] + [(p, -c) for p, c in parts]))

    measures = sorted({k[7] for k in problem.cells})
    # groups to their total, per breakdown
    groups: dict[tuple, list[tuple]] = defaultdict(list)
    for key in rows:
        groups[(*key[:6],)].append(key)
    for gkey, keys in groups.items():
        totals = [k for k in keys if rows[k].is_total]
        parts = [k for k in keys if not rows[k].is_total]
        if len(totals) != 1 or not parts:
            continue
        for m in measures:
            t = (*totals[0], m)
            ps = [(*p, m) for p in parts if (*p, m) in problem.cells]
            if t in problem.cells and ps:
                add(
                    f"groups {gkey[3]} {m}",
                    f"groups: {_label(totals[0])} {m} = sum of {len(ps)} groups",
                    t,
                    [(p, 1.0) for p in ps],
                )
    # the summary group AUSL = the non-national groups of the nationality breakdown
    for key in rows:
        if key[4] != SUMMARY[0] or key[6] != SUMMARY[1]:
            continue
        base = (*key[:4], SUMMARY[2], key[5])
        parts = [k for k in groups.get(base, []) if not rows[k].is_total and k[6] not in NATIONAL_GROUPS]
        for m in measures:
            ps = [(*p, m) for p in parts if (*p, m) in problem.cells]
            if (*key, m) in problem.cells and ps:
                add(
                    f"summary {key[3]} {m}",
                    f"summary: {_label(key)} {m} = non-national groups",
                    (*key, m),
                    [(p, 1.0) for p in ps],
                )
    # districts to the city
    columns: dict[tuple, list[tuple]] = defaultdict(list)
    for key in rows:
        columns[(*key[:5], key[6])].append(key)
    for ckey, keys in columns.items():
        city = [k for k in keys if k[5] == CITY]
        parts = [k for k in keys if k[5] != CITY]
        if len(city) != 1 or not parts:
            continue
        for m in measures:
            ps = [(*p, m) for p in parts if (*p, m) in problem.cells]
            if (*city[0], m) in problem.cells and ps:
                add(
                    f"districts {ckey[3]} {m}",
                    f"districts: {_label(city[0])} {m} = sum of {len(ps)} districts",
                    (*city[0], m),
                    [(p, 1.0) for p in ps],
                )
    # identities between indicators of the same counts
    for key in rows:
        for (ind, m), parts in IDENTITIES:
            if key[3] != ind:
                continue
            t = (*key, m)
            ps = [((*key[:3], pind, *key[4:], pm), c) for (pind, pm), c in parts]
            if t in problem.cells and all(p in problem.cells for p, _ in ps):
                add(
                    f"identity {ind} {m}",
                    f"identity: {_label(key)} {m} = "
                    + " ".join(f"{'+' if c > 0 else '-'} {p[3]}.{p[7]}" for p, c in ps),
                    t,
                    ps,
                )
    dropped = []
    for kind, instances in candidates.items():
        if kind in known_dropped or any(_violated(problem, terms, truth) for _, terms in instances):
            dropped.append(kind)
            continue
        for name, terms in instances:
            problem.add_relation(name, terms)
    return sorted(dropped)


def _violated(problem: Problem, terms, truth: dict) -> bool:
    """True when the relation fails on published values, or on true values where all are known,
    or cannot hold whatever the hidden cells are (interval arithmetic over their bounds)."""
    lo = hi = 0.0
    for k, c in terms:
        cell = problem.cells[k]
        a, b = sorted((c * cell.lo, c * cell.hi))
        lo, hi = lo + a, hi + b
    if lo > 1e-6 * (1 + abs(lo)) or hi < -1e-6 * (1 + abs(hi)):
        return True
    for source in ("published", "truth"):
        vals = []
        for k, c in terms:
            cell = problem.cells[k]
            if source == "published":
                v = cell.lo if cell.known_point else None
            else:
                v = truth.get(k)
                if v is None and cell.known_point:
                    v = cell.lo
            if v is None:
                break
            vals.append(c * v)
        else:
            scale = 1.0 + sum(abs(v) for v in vals)
            if abs(sum(vals)) > 1e-6 * scale:
                return True
    return False


def _label(key: tuple) -> str:
    city, period, basis, indicator, breakdown, district, group = key
    where = "city" if district == CITY else f"district {district}"
    return f"{city} {period} {basis} {indicator} [{breakdown}] {where} group {group}"
