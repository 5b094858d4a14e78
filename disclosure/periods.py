"""Relations over time: a year is the sum of its quarters, stock(t) - stock(t-1) against the flows.

(a) Years. The cell tables publish quarters only (int_exchange__cells: `period` is always a
    quarter); the one published table with a year of a flow the cells also carry is register vs
    official (exchange.fct_exchange_register_vs_official, the hub's copy,
    alliance.fct_register_vs_official): the register count of a year's inflows (`zuzuege`) and
    outflows (`fortzuege`) beside the official figure. So the relation is derived only there:
    register_value(year) = the sum of the city's INSGESAMT inflow / outflow numerators of the
    quarters the register holds (`register_months` / 3: a running year has fewer). The register
    counts registrations by registration date; whether that is the quarters' count is a matter of
    the city's data (it is in Enschede's demo data, not in Münster's: late registrations), so the
    kind is per city and indicator, and `_violated` drops it where it does not hold.
    `zuzuege_ausland` / `fortzuege_ausland` have no quarterly cells: not related.
(b) Stock and flows. population(t) - population(t-1) = inflow(t) - outflow(t) per city and
    nationality group, as an exact relation only: births, deaths and naturalisations are not
    published per quarter, so the kind (per city) is dropped wherever it does not hold exactly
    in the data. The inequality that remains (|change - net migration| <= natural change) is
    not used: the attacker's problem holds equalities only.
"""

from __future__ import annotations

from disclosure.extra_cells import CITY, SideContext, add_cell, has_columns, scope_where, table_exists, truth_rows

REGISTER_TABLES = (
    "exchange.fct_exchange_register_vs_official",
    "exchange.fct_exchange_hub_register_vs_official",
    "alliance.fct_register_vs_official",
)
REGISTER_TRUTH = "official.fct_register_vs_official_migration"  # the raw register counts (never published)
FLOW_INDICATOR = {"zuzuege": "inflow", "fortzuege": "outflow"}
BREAKDOWN = "register_vs_official"
YEAR_PREFIX, DIFFERENCE_PREFIX = "register_year_", "register_difference_"
READ = {"city", "year", "period", "flow", "register_value", "register_months", "suppression_reason", "difference"}
READ |= {"official_value", "city_key"}


def year_key(city: str, year: int, flow: str, prefix: str = YEAR_PREFIX) -> tuple:
    return (city, str(year), "register", prefix + flow, BREAKDOWN, CITY, CITY)


def register_rows(ctx: SideContext) -> list[tuple]:
    """(table, city, year, flow, register_value, register_months, reason, difference, official_value, city_key)."""
    out = []
    where, params = scope_where(ctx.scope)
    for table in REGISTER_TABLES:
        if not has_columns(ctx.con, table, READ):
            continue
        out += [
            (table, *r)
            for r in ctx.con.execute(
                f"""select city, year, flow, register_value, register_months, suppression_reason, difference,
                       official_value, city_key
                from {table} {where}
                order by all""",
                params,
            ).fetchall()
            if r[0] is not None and r[1] is not None
        ]
    return out


def register_truth(ctx: SideContext) -> dict[tuple, tuple]:
    """(city, year, flow) -> (register_value, difference) of the city layer."""
    rows = truth_rows(
        ctx, f"select city, year, flow, register_value, difference from {{p}}{REGISTER_TRUTH} where city is not null"
    )
    return {(r[0], r[1], r[2]): (r[3], r[4]) for r in rows}


def add_register_cells(ctx: SideContext) -> dict[tuple, int]:
    """The register year counts as cells; returns (city, year, flow) -> register months."""
    truth = register_truth(ctx)
    months: dict[tuple, int] = {}
    for table, city, year, flow, value, n_months, reason, *_ in register_rows(ctx):
        true = truth.get((city, year, flow), (None, None))[0]
        add_cell(
            ctx,
            year_key(city, year, flow),
            "numerator",
            value,
            table,
            primary=(reason or "").startswith("primary") and value is None,
            true_value=true,
        )
        if n_months:
            months[(city, year, flow)] = max(months.get((city, year, flow), 0), int(n_months))
    return months


def _quarter(period: str) -> tuple[int, int] | None:
    if len(period) == 7 and period[4:6] == "-Q" and period[:4].isdigit() and period[6] in "1234":
        return int(period[:4]), int(period[6])
    return None


def _previous(period: str) -> str | None:
    yq = _quarter(period)
    if yq is None:
        return None
    y, q = yq
    return f"{y - 1}-Q4" if q == 1 else f"{y}-Q{q - 1}"


def candidates(ctx: SideContext) -> None:
    months = add_register_cells(ctx)
    # (a) the register year = its quarters (only where every quarter is a cell of this problem)
    for (city, year, flow), n_months in sorted(months.items()):
        indicator = FLOW_INDICATOR.get(flow)
        if indicator is None or n_months % 3:
            continue
        quarters = [
            (city, f"{year}-Q{q}", "register", indicator, "nationality_group", CITY, CITY, "numerator")
            for q in range(1, n_months // 3 + 1)
        ]
        ctx.add(
            f"year sum {city} {indicator}",
            f"year: {city} {year} register {flow} = sum of {len(quarters)} quarters of {indicator}",
            (*year_key(city, year, flow), "numerator"),
            [(q, 1.0) for q in quarters],
        )
    # (b) stock(t) - stock(t-1) = inflow(t) - outflow(t), exact instances only
    for key in list(ctx.rows):
        city, period, basis, indicator, breakdown, district, group = key
        if indicator != "population" or breakdown != "nationality_group" or district != CITY:
            continue
        before = _previous(period)
        if before is None:
            continue

        def cell(ind: str, per: str, at: tuple = key) -> tuple:
            return (at[0], per, at[2], ind, *at[4:], "numerator")

        ctx.add(
            f"stock-flow {city}",
            f"stock-flow: {city} {period} {group} population - population {before} = inflow - outflow",
            cell("population", period),
            [(cell("population", before), 1.0), (cell("inflow", period), 1.0), (cell("outflow", period), -1.0)],
        )


def hide(con, keys: list[tuple]) -> None:
    """Write hidden register year counts (and the difference hidden with them) back into the tables."""
    targets = {
        (k[0], int(k[1]), k[3].removeprefix(YEAR_PREFIX).removeprefix(DIFFERENCE_PREFIX))
        for k in keys
        if k[4] == BREAKDOWN and (k[3].startswith(YEAR_PREFIX) or k[3].startswith(DIFFERENCE_PREFIX))
    }
    if not targets:
        return
    for table in REGISTER_TABLES:
        if not table_exists(con, table):
            continue
        for city, year, flow in sorted(targets):
            con.execute(
                f"""update {table} set register_value = null, difference = null, ratio_register_to_official = null,
                    register_status_changes = null, is_suppressed = true,
                    suppression_reason = coalesce(suppression_reason, 'secondary')
                where city = ? and year = ? and flow = ? and register_value is not null""",
                [city, year, flow],
            )
