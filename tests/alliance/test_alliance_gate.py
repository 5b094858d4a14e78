"""One gate for every alliance table: a blocked city-quarter is blocked in all of them.

On a copy of the small demo warehouse, gate rows for Münster's register (two months, in the
quarters of the Dunkelziffer estimates and of the latest snapshot) and its area reference are
written to meta.quality_gate, and the exchange and alliance models are rebuilt. Every alliance
table then shows those city-quarters as blocked, with the reason and its figures withheld, and
leaves Enschede and the other quarters alone.
"""

from __future__ import annotations

import shutil
from datetime import datetime

import duckdb
import pytest

from orchestration.dbt_project import run_dbt

BLOCKS = [  # (source, period) blocked for Münster, and the quarter each maps to
    ("meldewesen", "2025-08", "2025-Q3"),
    ("meldewesen", "2026-08", "2026-Q3"),
    ("gebiete", "current", None),
]
# alliance table -> figures the gate must withhold
WITHHELD = {
    "fct_intercity_indicators": ["value", "numerator", "denominator"],
    "fct_dunkelziffer_estimates": ["point", "ci_lower", "ci_upper", "registered"],
    "fct_district_indicators": ["value", "numerator", "denominator"],
    "fct_retention_curves": ["retention", "n_at_risk"],
    "fct_register_vs_official": ["register_value", "difference"],
}


@pytest.fixture(scope="module")
def gated_world(published_demo, tmp_path_factory):
    warehouse, _ = published_demo
    root = tmp_path_factory.mktemp("alliance_gate")
    copy = root / "warehouse.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        for source, period, _quarter in BLOCKS:
            con.execute(
                "insert into meta.quality_gate (city, source, form, period, check_name, reason, blocked_at) "
                "values ('muenster', ?, '', ?, 'test.blocking_check', 'small counts unsuppressed', ?)",
                [source, period, datetime(2026, 12, 1)],
            )
    finally:
        con.close()
    run_dbt(
        ["build", "--select", "path:models/exchange path:models/alliance", "--exclude", "resource_type:unit_test"],
        warehouse=copy,
        target_path=root / "dbt_target",
        log=lambda _line: None,
    )
    return copy


def _with_source(source: str) -> str:
    """SQL condition: the row's indicator is built from `source` (the catalogue's sources)."""
    return (
        " and indicator_id in (select indicator_id from reference.indicator_catalogue "
        f"where list_contains(list_transform(string_split(source, ','), x -> trim(x)), '{source}'))"
    )


def _rows(con, table: str, where: str) -> list[tuple]:
    return con.execute(f"select is_blocked, blocked_reason from alliance.{table} where {where}").fetchall()


@pytest.mark.parametrize("table", sorted(WITHHELD))
def test_a_blocked_city_quarter_is_blocked_in_every_alliance_table(gated_world, table):
    con = duckdb.connect(str(gated_world), read_only=True)
    try:
        periods = [q for _s, _p, q in BLOCKS if q]
        have = {
            r[0]
            for r in con.execute(f"select distinct period from alliance.{table} where city = 'muenster'").fetchall()
        }
        blocked_periods = sorted(have & set(periods))
        assert blocked_periods, f"{table} holds none of the blocked quarters {periods}: the test would prove nothing"
        in_list = ", ".join(f"'{p}'" for p in blocked_periods)
        by_indicator = table in ("fct_intercity_indicators", "fct_district_indicators")
        # by indicator: the rows of indicators built from the register are blocked in those quarters,
        # those from the area reference (blocked for every quarter) everywhere, the others not
        register = _with_source("meldewesen") if by_indicator else ""
        area = _with_source("gebiete") if by_indicator else ""
        blocked = _rows(con, table, f"city = 'muenster' and period in ({in_list}){register}")
        assert blocked and all(b for b, _ in blocked), f"{table}: a blocked Münster quarter shows unblocked rows"
        assert all("meldewesen: " in r and "small counts unsuppressed" in r for _, r in blocked)
        figures = " or ".join(f"{c} is not null" for c in WITHHELD[table])
        leaked = con.execute(
            f"select count(*) from alliance.{table} where city = 'muenster' and period in ({in_list}) "
            f"and is_blocked and ({figures})"
        ).fetchone()[0]
        assert leaked == 0, f"{table}: {leaked} blocked rows still carry figures"
        not_area = f" and not ({area.removeprefix(' and ')})" if area else ""
        others = _rows(con, table, f"city = 'enschede' or (period not in ({in_list}){not_area})")
        assert others and not any(b for b, _ in others), f"{table}: blocks leak onto other cities or quarters"
        shown = con.execute(
            f"select count(*) from alliance.{table} where city = 'enschede' and ({figures})"
        ).fetchone()[0]
        assert shown > 0, f"{table}: Enschede's figures are gone too"
    finally:
        con.close()


def test_blocked_boundaries_are_not_shown(gated_world):
    """Blocked boundaries (gebiete `current`) never appear with their geometry: staging leaves them
    out, and a row that still arrives (e.g. from a package) is flagged with its geometry withheld."""
    con = duckdb.connect(str(gated_world), read_only=True)
    try:
        rows = con.execute(
            "select city, is_blocked, blocked_reason, geometry_wkb is null from alliance.dim_district_geometry"
        ).fetchall()
    finally:
        con.close()
    shown = [r for r in rows if r[0] == "muenster" and not r[3]]
    assert shown == []
    assert all(r[1] and r[2].startswith("gebiete: ") for r in rows if r[0] == "muenster")
    enschede = [r for r in rows if r[0] == "enschede"]
    assert enschede and not any(r[1] or r[3] for r in enschede)


def test_every_alliance_model_uses_the_one_gate():
    from warehouse.settings import DBT_PROJECT_DIR

    models = sorted((DBT_PROJECT_DIR / "models" / "alliance").glob("*.sql"))
    assert models
    without = [m.name for m in models if "alliance_blocked_reason(" not in m.read_text(encoding="utf-8")]
    assert without == []
