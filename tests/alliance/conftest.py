"""Small hand-made warehouses for the exchange and publish tests (no dbt run needed)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.exchange import (
    CELL_COLUMNS,
    DISTRICT_CELL_COLUMNS,
    DUNKELZIFFER_COLUMNS,
    GATE_COLUMNS,
    REGISTER_VS_OFFICIAL_COLUMNS,
    RETENTION_COLUMNS,
)


def cell(
    city="dortmund",
    period="2026-Q3",
    indicator_id="inflow",
    breakdown="nationality_group",
    group_value="INSGESAMT",
    is_total=True,
    basis="register",
    numerator=None,
    denominator=None,
    value=None,
    is_suppressed=False,
    suppression_reason=None,
    country="DE",
    **extra,
) -> dict:
    row = dict(
        city=city,
        country=country,
        period=period,
        indicator_id=indicator_id,
        breakdown=breakdown,
        group_value=group_value,
        is_total=is_total,
        basis=basis,
        method=None,
        is_provisional=False,
        is_break=False,
        numerator=numerator,
        denominator=denominator,
        value=value if value is not None else numerator,
        ci_lower=None,
        ci_upper=None,
        is_suppressed=is_suppressed,
        suppression_reason=suppression_reason,
    )
    row.update(extra)
    if is_suppressed:
        row.update(numerator=None, denominator=None, value=None)
    return row


# A clean, already suppressed quarter of Dortmund: EU2 (1) is primary, ASYL8 its complement.
CLEAN_CELLS = [
    cell(numerator=40),
    cell(group_value="DE", is_total=False, numerator=30),
    cell(group_value="EU2", is_total=False, is_suppressed=True, suppression_reason="primary"),
    cell(group_value="ASYL8", is_total=False, is_suppressed=True, suppression_reason="secondary"),
    cell(group_value="EU_SONST", is_total=False, numerator=0),
    cell(indicator_id="ava_share", breakdown="total", numerator=6, denominator=30, value=0.2),
    cell(period="2026-Q2", numerator=33),  # another quarter: not in the package
    cell(city="duisburg", numerator=50),  # another city: not in the package
]
GATE_ROWS = [
    dict(
        city="dortmund",
        period="2026-Q3",
        source="schule",
        form="",
        applies_to_all_periods=False,
        check_names="row_count",
        reason="file cut off",
        first_blocked_delivery_period="2026-07",
        last_blocked_at="2026-10-02 03:00:00",
    ),
]


def district_cell(
    district_code,
    group_value,
    numerator=None,
    city="dortmund",
    period="2026-Q3",
    indicator_id="inflow",
    is_suppressed=False,
    suppression_reason=None,
) -> dict:
    return dict(
        city=city,
        country="DE",
        period=period,
        district_code=district_code,
        district_level="stadt" if district_code == "INSGESAMT" else "stadtbezirk",
        indicator_id=indicator_id,
        breakdown="nationality_group",
        group_value=group_value,
        is_total=group_value == "INSGESAMT",
        basis="register",
        is_provisional=False,
        is_break=False,
        suppression_family="fluctuation",
        numerator=numerator,
        denominator=None,
        value=numerator,
        ci_lower=None,
        ci_upper=None,
        is_suppressed=is_suppressed,
        suppression_reason=suppression_reason,
    )


def _district_table() -> list[dict]:
    """Districts 01-03 x groups DE/EU2/ASYL8 with both margins; the small cells of 01 and 02 in
    EU2/ASYL8 are hidden as a 2x2 block, so no row or column hides a single cell. The two primary
    cells share a column: each can be 0 and 3 (two primaries on a diagonal would move together,
    and one of them would be proven non-zero - the disclosure audit finds that)."""
    counts = {
        ("01", "DE"): 20,
        ("01", "EU2"): 1,
        ("01", "ASYL8"): 4,
        ("02", "DE"): 15,
        ("02", "EU2"): 2,
        ("02", "ASYL8"): 5,
        ("03", "DE"): 30,
        ("03", "EU2"): 6,
        ("03", "ASYL8"): 7,
    }
    hidden = {
        ("01", "EU2"): "primary",
        ("01", "ASYL8"): "secondary",
        ("02", "EU2"): "primary",
        ("02", "ASYL8"): "secondary",
    }
    rows = []
    for d in ("01", "02", "03", "INSGESAMT"):
        for g in ("DE", "EU2", "ASYL8", "INSGESAMT"):
            n = sum(v for (dd, gg), v in counts.items() if d in (dd, "INSGESAMT") and g in (gg, "INSGESAMT"))
            reason = hidden.get((d, g))
            rows.append(
                district_cell(d, g, None if reason else float(n), is_suppressed=bool(reason), suppression_reason=reason)
            )
    return rows + [district_cell("INSGESAMT", "INSGESAMT", 80.0, period="2026-Q2")]  # another quarter


CLEAN_DISTRICT_CELLS = _district_table()
RETENTION_ROWS = [
    dict(
        city="dortmund",
        country="DE",
        period="2026-Q3",
        nationality_group="EU2",
        arrival_year=2024,
        months=m,
        retention=r,
        ci_lower=lo,
        ci_upper=hi,
        n_at_risk=risk,
        n_left_cumulative=left,
        method="kaplan-meier, greenwood log(-log) 95 %",
        basis="register",
    )
    for m, r, lo, hi, risk, left in [(0, 1.0, 1.0, 1.0, 10, 0), (3, 0.7, 0.38, 0.88, 10, 3), (6, 0.5, 0.2, 0.74, 7, 5)]
] + [
    dict(
        city="duisburg",
        country="DE",
        period="2026-Q3",
        nationality_group="EU2",
        arrival_year=2024,
        months=0,
        retention=1.0,
        ci_lower=1.0,
        ci_upper=1.0,
        n_at_risk=12,
        n_left_cumulative=0,
        method="kaplan-meier, greenwood log(-log) 95 %",
        basis="register",
    )
]


def dunkelziffer_row(
    age_band,
    registered=None,
    point=None,
    lower=None,
    upper=None,
    is_suppressed=False,
    suppression_reason=None,
    period="2026-Q3",
    stichtag=date(2026, 9, 30),
    **extra,
) -> dict:
    row = dict(
        city="dortmund",
        country="DE",
        period=period,
        stichtag=stichtag,
        nationality_group="EU2",
        age_band=age_band,
        method="lincoln_petersen",
        quantity="unregistered",
        registered=registered,
        point=point,
        lower=lower,
        upper=upper,
        se=None,
        interval_method="profile likelihood",
        assumptions="closed population; independent lists",
        warnings="",
        valid=True,
        model=None,
        recommended=True,
        is_suppressed=is_suppressed,
        suppression_reason=suppression_reason,
        basis="register",
    )
    row.update(extra)
    return row


DUNKELZIFFER_ROWS = [
    dunkelziffer_row("18-24", 40, 5.0, 3.0, 9.0),
    dunkelziffer_row("25-44", 60, 8.0, 4.0, None),  # unbounded upper limit is allowed
    dunkelziffer_row("00-05", is_suppressed=True, suppression_reason="primary"),
    dunkelziffer_row("06-14", is_suppressed=True, suppression_reason="secondary"),
    dunkelziffer_row("18-24", 38, 6.0, 3.0, 10.0, period="2026-Q2", stichtag=date(2026, 6, 30)),
]


def rvo_row(
    year, flow, register_value=None, official_value=None, period="2026-Q3", is_suppressed=False, **extra
) -> dict:
    row = dict(
        city="dortmund",
        city_name="Dortmund",
        city_key="05913000",
        year=year,
        period=period,
        flow=flow,
        register_value=register_value,
        register_months=12,
        register_year_complete=True,
        register_status_changes=None,
        official_value=official_value,
        difference=None if register_value is None or official_value is None else register_value - official_value,
        ratio_register_to_official=None,
        comparison_status="both",
        explanation="e",
        official_known_issue=None,
        official_definition="d",
        is_suppressed=is_suppressed,
        suppression_reason="primary" if is_suppressed else None,
    )
    row.update(extra)
    return row


RVO_ROWS = [
    rvo_row(2025, "zuzuege", 500, 480.0),
    rvo_row(2025, "zuzuege_ausland", None, 2.0, is_suppressed=True),  # official value of 2 stays
    rvo_row(2010, "zuzuege", None, 700.0, comparison_status="official_only"),
    rvo_row(2024, "zuzuege", 490, 470.0, period="2026-Q2"),  # an older snapshot: not exported
]


def insert_rows(con, table: str, columns: dict[str, str], rows: list[dict]) -> None:
    cols = ", ".join(f"{c} {t}" for c, t in columns.items())
    con.execute(f"create table if not exists {table} ({cols})")
    placeholders = ", ".join("?" for _ in columns)
    for r in rows:
        con.execute(f"insert into {table} values ({placeholders})", [r.get(c) for c in columns])


def make_exchange_warehouse(
    path: Path,
    cells=CLEAN_CELLS,
    gate=GATE_ROWS,
    synthetic=True,
    district_cells=CLEAN_DISTRICT_CELLS,
    retention=RETENTION_ROWS,
    dunkelziffer=DUNKELZIFFER_ROWS,
    register_vs_official=RVO_ROWS,
) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema exchange; create schema meta")
    insert_rows(con, "exchange.fct_exchange_cells", CELL_COLUMNS, cells)
    insert_rows(con, "exchange.fct_exchange_quality_gate", GATE_COLUMNS, gate)
    insert_rows(con, "exchange.fct_exchange_district_cells", DISTRICT_CELL_COLUMNS, district_cells)
    insert_rows(con, "exchange.fct_exchange_retention_curves", RETENTION_COLUMNS, retention)
    insert_rows(con, "exchange.fct_exchange_dunkelziffer_estimates", DUNKELZIFFER_COLUMNS, dunkelziffer)
    insert_rows(con, "exchange.fct_exchange_register_vs_official", REGISTER_VS_OFFICIAL_COLUMNS, register_vs_official)
    con.execute("create table meta.load_runs (run_id varchar, synthetic boolean)")
    con.execute("insert into meta.load_runs values ('r1', ?)", [synthetic])
    con.close()
    return path


def resign(package: Path, city: str = "dortmund") -> Path:
    """Sign a package's (changed) manifest again with the city's own test key: what a city that
    exports a leaky or malformed package would hand over. The import must still refuse it on
    its content, not only on a broken signature."""
    from orchestration.signing import load_private_key, sign_package

    sign_package(package, city, load_private_key(city))
    return package


def write_manifest(package: Path, manifest: dict, city: str = "dortmund") -> None:
    """Replace a package's manifest and sign it with the city's key (see resign)."""
    import json

    (package / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    resign(package, city)


@pytest.fixture
def exchange_warehouse(tmp_path) -> Path:
    return make_exchange_warehouse(tmp_path / "city.duckdb")
