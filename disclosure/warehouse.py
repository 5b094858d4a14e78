"""The repair step of the pipeline: final suppression flags written into the warehouse's cell tables.

Runs after the dbt build and before the exchange export and the publish step
(orchestration/defs/disclosure.py). dbt's rules (macros/disclosure_control.sql,
fct_exchange_district_cells) hide each table's primary cells and their complements; this step
audits the pattern against all tables at once and hides the further cells the audit needs, in
every table that carries them (the exchange cells, the hub's copies, the alliance tables), then
re-ranks the intercity table and recounts the packages' suppressed cells. A pattern already safe
is left as it is (the tables stay bit for bit). The audit's own records stay in the city layer
(meta.disclosure_audit_summary, meta.disclosure_repair: keys and counts, never a value), and the
verdict with the fingerprint of the tables it judged (meta.disclosure_verdict, disclosure.verdict).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from disclosure.audit import AuditReport, BreakablePattern, report_of, share_suppressed
from disclosure.extra_cells import table_exists
from disclosure.lp import AuditError, _targets, audit
from disclosure.relations import CELL_TABLES, CITY, SIDE_MODULES, TRUTH, load
from disclosure.repair import repair
from disclosure.verdict import fingerprint
from disclosure.verdict import record as record_verdict
from warehouse.db import connect

REPAIR_REASON = "secondary"  # a complement chosen by the audit is secondary suppression
HIDDEN_COLUMNS = ("numerator", "denominator", "value", "ci_lower", "ci_upper")


@dataclass
class RepairSummary:
    before: AuditReport
    after: AuditReport
    added_cells: int
    shares: dict[str, tuple[int, int, int]]  # table -> (suppressed before, after, checked)
    audited_scopes: int = 0  # scopes (linked city-periods) audited: all of them unless incremental
    scopes: int = 0

    def lines(self) -> list[str]:
        """The audit before and after; the price of safety is printed from what _record wrote
        (disclosure.price), so that the figures shown are the figures the warehouse holds."""
        return [
            f"disclosure repair: {self.before.headline()} before, {self.added_cells} cells hidden in addition "
            f"({self.audited_scopes} of {self.scopes} scopes audited)",
            *self.after.lines(),
        ]


def _apply(con, keys: list[tuple]) -> None:
    con.execute(
        "create or replace temp table _dc_repair (city varchar, period varchar, basis varchar, indicator_id varchar, "
        "breakdown varchar, district_code varchar, group_value varchar)"
    )
    con.executemany("insert into _dc_repair values (?, ?, ?, ?, ?, ?, ?)", keys)
    for table, has_district in CELL_TABLES:
        if not table_exists(con, table):
            continue
        district = "t.district_code" if has_district else f"'{CITY}'"
        sets = ", ".join(f"{c} = null" for c in HIDDEN_COLUMNS)
        con.execute(
            f"""update {table} as t set {sets}, is_suppressed = true, suppression_reason = '{REPAIR_REASON}'
            from _dc_repair as r
            where r.city = t.city and r.period = t.period and r.basis = coalesce(t.basis, 'register')
                and r.indicator_id = t.indicator_id and r.breakdown = coalesce(t.breakdown, '')
                and r.district_code = {district} and r.group_value = t.group_value"""
        )
    for module in SIDE_MODULES:  # side cells (register years, curve points, Dunkelziffer bands)
        module.hide(con, keys)
    if table_exists(con, "alliance.fct_intercity_indicators"):
        _rerank(con)
    if table_exists(con, "exchange.fct_exchange_packages"):
        con.execute(
            """update exchange.fct_exchange_packages as p set n_suppressed = c.n
            from (select city, period, count(*) filter (where is_suppressed) as n
                  from exchange.fct_exchange_cells group by all) as c
            where c.city = p.city and c.period = p.period"""
        )
    con.execute("drop table _dc_repair")


def _rerank(con) -> None:
    """Ranks among cities over the published values only, as fct_intercity_indicators ranks them."""
    con.execute(
        """update alliance.fct_intercity_indicators as t
        set rank_among_cities = r.rank_among_cities, n_cities_ranked = r.n_cities_ranked
        from (
            select city, period, indicator_id, breakdown, group_value, basis,
                case when rankable and rank_order = 'desc' then rank() over (
                        partition by indicator_id, period, breakdown, group_value, basis, rankable order by value desc)
                    when rankable and rank_order = 'asc' then rank() over (
                        partition by indicator_id, period, breakdown, group_value, basis, rankable order by value asc)
                end as rank_among_cities,
                case when rankable then count(*) over (
                        partition by indicator_id, period, breakdown, group_value, basis, rankable)
                end as n_cities_ranked
            from (
                select i.*, c.rank_order, i.value is not null and c.rank_order in ('asc', 'desc') as rankable
                from alliance.fct_intercity_indicators as i
                left join reference.indicator_catalogue as c on c.indicator_id = i.indicator_id
            )
        ) as r
        where r.city = t.city and r.period = t.period and r.indicator_id = t.indicator_id
            and r.breakdown is not distinct from t.breakdown and r.group_value = t.group_value
            and r.basis is not distinct from t.basis
            and (r.rank_among_cities is distinct from t.rank_among_cities
                 or r.n_cities_ranked is distinct from t.n_cities_ranked)"""
    )


def _record(con, summary: RepairSummary, keys: list[tuple]) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    con.execute("create schema if not exists meta")
    con.execute(
        """create or replace table meta.disclosure_audit_summary (
            audited_at timestamp, table_name varchar, n_cells bigint, n_suppressed_before bigint,
            n_suppressed_after bigint, n_breakable_before bigint, n_breakable_after bigint)"""
    )
    rows = []
    for table, (b, a, n) in summary.shares.items():
        rows.append(
            (
                now,
                table,
                n,
                b,
                a,
                summary.before.tables.get(table).breakable if table in summary.before.tables else 0,
                summary.after.tables.get(table).breakable if table in summary.after.tables else 0,
            )
        )
    t = summary.before.total
    rows.append(
        (
            now,
            "total",
            t.checked,
            t.suppressed,
            summary.after.total.suppressed,
            t.breakable,
            summary.after.total.breakable,
        )
    )
    con.executemany("insert into meta.disclosure_audit_summary values (?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute(
        """create or replace table meta.disclosure_repair (
            repaired_at timestamp, city varchar, period varchar, basis varchar, indicator_id varchar,
            breakdown varchar, district_code varchar, group_value varchar)"""
    )
    con.execute("create or replace table meta.disclosure_relations_not_used (kind varchar)")
    if summary.after.dropped_relations:
        con.executemany(
            "insert into meta.disclosure_relations_not_used values (?)", [(k,) for k in summary.after.dropped_relations]
        )
    if keys:
        con.executemany("insert into meta.disclosure_repair values (?, ?, ?, ?, ?, ?, ?, ?)", [(now, *k) for k in keys])


SCOPE_STATE = "meta.disclosure_scope_state"


def scopes_of(world) -> dict[tuple[str, str], str]:
    """(city, period) -> its scope: the (city, period)s linked by a relation (a year to its
    quarters, stock(t) to stock(t-1), disclosure.periods) form one scope, named by its members;
    most relations stay within one (city, period), which is then a scope of its own."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for key in world.problem.cells:
        find((key[0], key[1]))
    for rel in world.problem.relations:
        first, *rest = {(k[0], k[1]) for k, _ in rel.terms}
        for other in rest:
            parent[find(other)] = find(first)
    members: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for cp in parent:
        members.setdefault(find(cp), []).append(cp)
    names = {root: " ".join(f"{c}|{p}" for c, p in sorted(ms)) for root, ms in members.items()}
    return {cp: names[find(cp)] for cp in parent}


def scope_digests(world, scope_of: dict[tuple[str, str], str]) -> dict[str, str]:
    """A digest per scope of the attacker's problem there: its cells (published or hidden, bounds,
    kind, true value, tables) and relations. No relation crosses a scope (scopes_of), so a scope
    whose digest did not change has the same repair as last time."""
    parts: dict[str, list[str]] = {}
    for key, c in world.problem.cells.items():
        parts.setdefault(scope_of[(key[0], key[1])], []).append(
            repr((key, c.lo, c.hi, c.integer, c.nonnegative, c.primary, c.true_value, sorted(c.tables)))
        )
    for rel in world.problem.relations:
        key = min(rel.terms)[0]
        # terms in a fixed order: the tables are read without one
        parts.setdefault(scope_of[(key[0], key[1])], []).append(repr((rel.name, sorted(rel.terms))))
    return {scope: hashlib.sha256("\n".join(sorted(p)).encode()).hexdigest()[:24] for scope, p in parts.items()}


def _previous_state(con) -> dict[str, tuple[str, str]]:
    """scope -> (digest before, digest after) of the last repair; {} if none recorded."""
    if not table_exists(con, SCOPE_STATE):
        return {}
    rows = con.execute(f"select scope, digest_before, digest_after from {SCOPE_STATE}").fetchall()
    return {s: (b, a) for s, b, a in rows}


def _previous_keys(con, scopes: set[str], scope_of: dict) -> list[tuple]:
    """The cells the last repair hid in `scopes` (meta.disclosure_repair)."""
    if not scopes or not table_exists(con, "meta.disclosure_repair"):
        return []
    rows = con.execute(
        "select city, period, basis, indicator_id, breakdown, district_code, group_value from meta.disclosure_repair"
    ).fetchall()
    return [tuple(r) for r in rows if scope_of.get((r[0], r[1])) in scopes]


def _record_state(con, before: dict, after: dict) -> None:
    con.execute(f"create or replace table {SCOPE_STATE} (scope varchar, digest_before varchar, digest_after varchar)")
    rows = [(s, before[s], after.get(s, "")) for s in sorted(before)]
    if rows:
        con.executemany(f"insert into {SCOPE_STATE} values (?, ?, ?)", rows)


def _in(scopes: set, keys, scope_of: dict) -> set:
    return {k for k in keys if scope_of.get((k[0], k[1])) in scopes}


def _require_truth(con) -> None:
    """The repair runs in the city layer and judges against its true cells: without them (a
    warehouse whose dbt ran elsewhere and did not bring them) it would judge as an attacker does,
    hide other cells, and say nothing."""
    if not table_exists(con, TRUTH):
        raise AuditError(
            f"{TRUTH} (the city layer's cells before disclosure control) is not in the warehouse: "
            "the repair needs them as its true values (on Spark they come with the import, "
            "warehouse.spark_import.CITY_LAYER_TRUTH)"
        )


def repair_warehouse(path: Path | str | None = None, incremental: bool = False) -> RepairSummary:
    """Audit the warehouse's cell tables, hide what the audit needs, re-audit; raise if still breakable.

    `incremental` (the nightly run): only the scopes (city-periods linked by relations, scopes_of)
    whose problem changed since the last repair (scope_digests against meta.disclosure_scope_state)
    are audited and repaired; the others get the cells the last repair hid there again, and their
    state after is checked against the digest recorded then (a difference audits them too). The
    result equals a full repair; the `before` counts of breakable cells are then those of the
    audited scopes."""
    con = connect(path) if path else connect()
    try:
        _require_truth(con)
        world = load(con)
        scope_of = scopes_of(world)
        digests = scope_digests(world, scope_of)
        previous = _previous_state(con) if incremental else {}
        audited = {s for s in digests if previous.get(s, ("",))[0] != digests[s]} if previous else set(digests)
        reused = set(digests) - audited
        targets = _in(audited, _targets(world.problem), scope_of) if reused else None
        before = report_of(world, bounds=audit(world.problem, targets=targets) if reused else None)
        shares_before = share_suppressed(world)
        keys: list[tuple] = []
        if not before.ok:
            result = repair(world.problem, targets=targets)
            added = set(result.added_positions)
            families = {}
            for key, row in world.rows.items():
                families.setdefault(key[3], row.family or key[3])
            keys = sorted(
                k
                for k, row in world.rows.items()
                if (k[0], k[1], k[2], families[k[3]], k[4], k[5], k[6]) in added
                and set(row.tables) != set(row.suppressed_in)
            )
        keys = sorted(set(keys) | set(_previous_keys(con, reused, scope_of)))
        if keys or not before.ok:  # (as a full repair: re-ranks and recounts whenever it repairs)
            con.execute("begin")
            _apply(con, keys)
            con.execute("commit")
        world_after = load(con) if keys or not before.ok else world  # judged afresh from the tables as written
        scope_after = scopes_of(world_after)
        digests_after = scope_digests(world_after, scope_after)
        # a reused scope must look as it did after the last repair, else it is audited too
        audited |= {s for s in reused if digests_after.get(s) != previous[s][1]}
        reused = set(digests) - audited
        if world_after is world:  # nothing written: the tables are the ones just judged
            after = before
        else:
            after_targets = _in(audited, _targets(world_after.problem), scope_after) if reused else None
            after = report_of(world_after, bounds=audit(world_after.problem, targets=after_targets) if reused else None)
        shares_after = share_suppressed(world_after)
        shares = {t: (shares_before.get(t, (0, n))[0], a, n) for t, (a, n) in shares_after.items()}
        summary = RepairSummary(before, after, len(keys), shares, len(audited), len(digests))
        _record(con, summary, keys)
        _record_state(con, digests, digests_after)
        # the verdict with the fingerprint of what it judged: publish reuses it while they match
        record_verdict(con, fingerprint(con), after.ok, after.headline())
        if not after.ok:
            raise BreakablePattern("the repair left a breakable pattern: " + "; ".join(after.lines()[:5]))
        return summary
    finally:
        con.close()
