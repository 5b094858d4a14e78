"""Side tables against the cells: Dunkelziffer registered counts, and register vs official.

Dunkelziffer. The estimate tables (exchange.fct_exchange_dunkelziffer_estimates, the hub's copy,
alliance.fct_dunkelziffer_estimates) publish per city, quarter, nationality group and age band the
registered residents beside every method's estimate (one count for all methods and quantities).
- that count = the denominator of the cell unregistered_estimate of the band (the same
  registered count, fct_dunkelziffer_recommended);
- the bands of a group add up to the group's population (the numerator of the cell population
  at the same quarter end): the estimate tables say so themselves (their rule treats the
  population as the published total of the bands).
The estimates (points, intervals) are not additive and not related here.

Register vs official. The register year count of a flow (disclosure.periods), the published
difference and the official figure: register - difference = official. Official figures are
rounded sources: the official cell is an interval [v - r/2, v + r/2] (r = 5 where the office
marks the figure rounded, else 1), never an exact point, and it is not ours to hide (the repair
never picks it). The ratio register / official is nonlinear: not used.
"""

from __future__ import annotations

from collections import defaultdict

from disclosure.extra_cells import (
    CITY,
    SideContext,
    add_cell,
    has_columns,
    scope_where,
    table_columns,
    table_exists,
    truth_rows,
)
from disclosure.lp import Cell
from disclosure.periods import BREAKDOWN, DIFFERENCE_PREFIX, YEAR_PREFIX, register_rows, register_truth, year_key

DUNKELZIFFER_TABLES = (
    "exchange.fct_exchange_dunkelziffer_estimates",
    "exchange.fct_exchange_hub_dunkelziffer_estimates",
    "alliance.fct_dunkelziffer_estimates",
)
DUNKELZIFFER_TRUTH = "marts.fct_dunkelziffer_estimates"
REGISTERED = "dunkelziffer_registered"
BANDS = "nationality_group_age_band"  # the breakdown of the cell unregistered_estimate
FAMILY = "dunkelziffer"  # the suppression family of unregistered_estimate: one repair unit per band
OFFICIAL = "official.fct_official_migration"
OFFICIAL_ROUNDING = 5  # a figure marked rounded is a multiple of 5 (ingest/official/schema.py)
READ = {"city", "period", "basis", "nationality_group", "age_band", "registered", "is_suppressed", "suppression_reason"}
ESTIMATE_COLUMNS = ("registered", "point", "lower", "upper", "ci_lower", "ci_upper", "se")


def _band_key(city: str, period: str, basis: str, group: str, band: str) -> tuple:
    return (city, period, basis, REGISTERED, BANDS, CITY, f"{group} {band}")


def _dunkelziffer(ctx: SideContext) -> None:
    truth = {
        (r[0], r[1], r[2], r[3]): r[4]
        for r in truth_rows(
            ctx,
            """select city, year(stichtag) || '-Q' || quarter(stichtag), nationality_group, age_band, max(registered)
            from {p}"""
            + DUNKELZIFFER_TRUTH
            + " where district = 'INSGESAMT' group by all",
        )
    }
    where, params = scope_where(ctx.scope)
    for table in DUNKELZIFFER_TABLES:
        if not has_columns(ctx.con, table, READ):
            continue
        for city, period, basis, group, band, value, primary in ctx.con.execute(
            f"""select city, period, coalesce(basis, 'register'), nationality_group, age_band,
                   max(registered) filter (where not coalesce(is_suppressed, false)),
                   bool_or(suppression_reason = 'primary')
            from {table} {where} group by all order by all""",
            params,
        ).fetchall():
            add_cell(
                ctx,
                _band_key(city, period, basis, group, band),
                "denominator",
                value,
                table,
                primary=bool(primary),
                family=FAMILY,
                true_value=truth.get((city, period, group, band)),
            )
    # bands of a group: the cell's denominator, else the estimate tables' count (the cells first:
    # the repair's candidates are the members of this relation, all bands of the cells among them)
    by_group: dict[tuple, dict[str, tuple]] = defaultdict(dict)
    for key in ctx.rows:
        city, period, basis, indicator, breakdown, _district, group_band = key
        if breakdown != BANDS or indicator not in (REGISTERED, "unregistered_estimate"):
            continue
        group, _, band = group_band.partition(" ")
        slot = by_group[(city, period, basis, group)]
        if indicator != REGISTERED or band not in slot:
            slot[band] = (*key, "denominator")
        if indicator == REGISTERED:
            cell = (city, period, basis, "unregistered_estimate", BANDS, CITY, group_band, "denominator")
            ctx.add(
                "dunkelziffer registered = cell denominator",
                f"dunkelziffer: {city} {period} {group_band} registered = unregistered_estimate denominator",
                cell,
                [((*key, "denominator"), 1.0)],
            )
    for (city, period, basis, group), bands in sorted(by_group.items()):
        ctx.add(
            "dunkelziffer bands = population",
            f"dunkelziffer: {city} {period} population {group} = registered of {len(bands)} age bands",
            (city, period, basis, "population", "nationality_group", CITY, group, "numerator"),
            [(k, 1.0) for _, k in sorted(bands.items())],
        )


def _rounded(ctx: SideContext) -> dict[tuple, bool]:
    if not has_columns(ctx.con, OFFICIAL, {"city_key", "year", "rounded", "nationality", "boundary"}):
        return {}
    rows = ctx.con.execute(
        f"""select city_key, year, bool_or(coalesce(rounded, false)) from {OFFICIAL}
        where nationality = 'insgesamt' and boundary = 'gemeinde' group by all"""
    ).fetchall()
    return {(r[0], r[1]): r[2] for r in rows}


def _register_vs_official(ctx: SideContext) -> None:
    truth = register_truth(ctx)
    rounded = _rounded(ctx)
    for table, city, year, flow, _value, _months, _reason, difference, official, city_key in register_rows(ctx):
        if official is None:
            continue
        key = year_key(city, year, flow)
        add_cell(
            ctx,
            year_key(city, year, flow, DIFFERENCE_PREFIX),
            "value",
            difference,
            table,
            family=YEAR_PREFIX + flow,  # hidden with the register count (one repair unit)
            nonnegative=False,
            true_value=truth.get((city, year, flow), (None, None))[1],
        )
        is_rounded = rounded.get((city_key, year), False)
        half = (OFFICIAL_ROUNDING if is_rounded else 1) / 2
        official_key = (city, str(year), "official", "official_" + flow, BREAKDOWN, CITY, CITY, "value")
        if official_key not in ctx.problem.cells:
            # the office's figure: an interval, not a cell of ours (no row: never hidden, never counted)
            ctx.problem.cells[official_key] = Cell(
                lo=float(official) - half, hi=float(official) + half, position=official_key, tables=(table,)
            )
            if not is_rounded:
                ctx.truth[official_key] = float(official)
        ctx.add(
            f"register vs official {flow}",
            f"register vs official: {city} {year} {flow} register - difference = official (interval)",
            (*key, "numerator"),
            [((*year_key(city, year, flow, DIFFERENCE_PREFIX), "value"), 1.0), (official_key, 1.0)],
        )


def candidates(ctx: SideContext) -> None:
    _dunkelziffer(ctx)
    _register_vs_official(ctx)


def hide(con, keys: list[tuple]) -> None:
    """Withhold the age bands whose registered count the repair hid, in every method and quantity."""
    bands = sorted({(k[0], k[1], *k[6].split(" ", 1)) for k in keys if k[3] == REGISTERED and k[4] == BANDS})
    if not bands:
        return
    for table in DUNKELZIFFER_TABLES:
        if not table_exists(con, table):
            continue
        cols = table_columns(con, table)
        sets = ", ".join(f"{c} = null" for c in ESTIMATE_COLUMNS if c in cols)
        con.executemany(
            f"""update {table} set {sets}, is_suppressed = true,
                suppression_reason = coalesce(suppression_reason, 'secondary')
            where city = ? and period = ? and nationality_group = ? and age_band = ? and not is_suppressed""",
            bands,
        )
