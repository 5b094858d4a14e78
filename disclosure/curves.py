"""Retention curves against the retention cells.

The Kaplan-Meier curves (exchange.fct_exchange_retention_curves, the hub's copy,
alliance.fct_retention_curves) publish per city, nationality group and arrival cohort, every 3
months, the share still registered, the risk set and the persons who left so far. The cells
retention_12m / retention_36m (breakdown nationality_group_arrival_<year>) hold, as numerator,
the persons who left up to the horizon and, as denominator, the cohort's registration spells
(int_exchange__cells) - the same counts:
- n_left_cumulative at months = 12 (36) = the retention_12m (36m) numerator of the cohort group;
- n_at_risk at months = 0 (the risk set before any exit) = the cohort size, the denominator.
Both are exact identities of the computation (the same sums over fct_retention_km); each kind
is still checked by `_violated` on every instance. A curve point is published only with a risk
set of 3 or more and a step of 0 or 3 or more, so a curve point is never itself a count of 1 or
2 - but it can reopen a complement of the cells (the cohort's groups add up to INSGESAMT).
Not used: the share S (S x cohort = stayers holds only without censoring: nonlinear in general),
the monotonicity of n_left (an inequality), points at other months (they relate to no cell).
A curve point the repair hides is dropped from every curve table, as the curve's own rule drops a
point that fails (fct_exchange_retention_curves; the package check refuses a point without values).
"""

from __future__ import annotations

from disclosure.extra_cells import CITY, SideContext, add_cell, has_columns, scope_where, table_exists

CURVE_TABLES = (
    "exchange.fct_exchange_retention_curves",
    "exchange.fct_exchange_hub_retention_curves",
    "alliance.fct_retention_curves",
)
HORIZONS = {12: "retention_12m", 36: "retention_36m"}
READ = {"city", "period", "basis", "nationality_group", "arrival_year", "months", "n_at_risk", "n_left_cumulative"}
CURVE_PREFIX = "retention_curve_"  # + months: a cell per published curve point that relates to a cell


def curve_key(city: str, period: str, basis: str, group: str, arrival_year: int, months: int) -> tuple:
    return (city, period, basis, f"{CURVE_PREFIX}{months}m", f"nationality_group_arrival_{arrival_year}", CITY, group)


def candidates(ctx: SideContext) -> None:
    where, params = scope_where(ctx.scope)
    months_wanted = (0, *HORIZONS)
    for table in CURVE_TABLES:
        if not has_columns(ctx.con, table, READ):
            continue
        rows = ctx.con.execute(
            f"""select city, period, coalesce(basis, 'register'), nationality_group, arrival_year, months,
                   n_at_risk, n_left_cumulative
            from {table} {where}
            order by all""",
            params,
        ).fetchall()
        for city, period, basis, group, year, months, at_risk, left in rows:
            if months not in months_wanted or city is None or period is None:
                continue
            key = curve_key(city, period, basis, group, year, months)
            # published curve points only (a point absent from the table is not a cell)
            add_cell(ctx, key, "numerator", None if left is None else float(left), table)
            add_cell(ctx, key, "denominator", None if at_risk is None else float(at_risk), table)
    for key in [k for k in ctx.rows if k[3].startswith(CURVE_PREFIX)]:
        months = int(key[3][len(CURVE_PREFIX) : -1])
        cell_key = (*key[:3], None, *key[4:])
        if months in HORIZONS:
            indicator = HORIZONS[months]
            ctx.add(
                f"curve left {indicator}",
                f"curve: {key[0]} {key[1]} {indicator} [{key[4]}] group {key[6]} numerator = curve left at {months}m",
                (*cell_key[:3], indicator, *cell_key[4:], "numerator"),
                [((*key, "numerator"), 1.0)],
            )
        if months == 0:
            for indicator in HORIZONS.values():
                ctx.add(
                    f"curve cohort {indicator}",
                    f"curve: {key[0]} {key[1]} {indicator} [{key[4]}] group {key[6]} denominator = at risk at 0m",
                    (*cell_key[:3], indicator, *cell_key[4:], "denominator"),
                    [((*key, "denominator"), 1.0)],
                )


def hide(con, keys: list[tuple]) -> None:
    """Drop the curve points the repair hid from every curve table."""
    points = sorted(
        (k[0], k[1], k[6], int(k[4].rsplit("_", 1)[1]), int(k[3][len(CURVE_PREFIX) : -1]))
        for k in keys
        if k[3].startswith(CURVE_PREFIX)
    )
    if not points:
        return
    for table in CURVE_TABLES:
        if not table_exists(con, table):
            continue
        con.executemany(
            f"""delete from {table}
            where city = ? and period = ? and nationality_group = ? and arrival_year = ? and months = ?""",
            points,
        )
