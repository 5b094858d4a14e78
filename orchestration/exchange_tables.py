"""The tables of an exchange package: column contracts, what "the quarter" means for each, and
the disclosure rules the exporter and the importer both re-check (a hub must not trust a
package it did not build).

A change of any column list, scope or file name needs a new SCHEMA_VERSION (orchestration/exchange.py).
Plain functions, no Dagster import.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

# Column names that would betray person-level content (pseudonyms, addresses, record ids).
FORBIDDEN_COLUMN_RE = re.compile(r"pseudonym|pseudoniem|adress|adres_|objekt_id|ereignis_id|person", re.I)
SUPPRESSION_GROUP = ["city", "period", "indicator_id", "basis", "breakdown"]
# Levels a district cell can be at ('stadt' = the city total INSGESAMT; 'unbekannt' = a code the
# city's gebiete file does not know, e.g. UNBEKANNT, which still belongs to its indicator's table).
DISTRICT_LEVELS = ("stadt", "stadtbezirk", "ortsteil", "wijk", "unbekannt")

CELL_COLUMNS: dict[str, str] = {
    "city": "VARCHAR",
    "country": "VARCHAR",
    "period": "VARCHAR",
    "indicator_id": "VARCHAR",
    "breakdown": "VARCHAR",
    "group_value": "VARCHAR",
    "is_total": "BOOLEAN",
    "basis": "VARCHAR",
    "method": "VARCHAR",
    "is_provisional": "BOOLEAN",
    "is_break": "BOOLEAN",
    "numerator": "DOUBLE",
    "denominator": "DOUBLE",
    "value": "DOUBLE",
    "ci_lower": "DOUBLE",
    "ci_upper": "DOUBLE",
    "is_suppressed": "BOOLEAN",
    "suppression_reason": "VARCHAR",
}
GATE_COLUMNS: dict[str, str] = {
    "city": "VARCHAR",
    "period": "VARCHAR",
    "source": "VARCHAR",
    "form": "VARCHAR",
    "applies_to_all_periods": "BOOLEAN",
    "check_names": "VARCHAR",
    "reason": "VARCHAR",
    "first_blocked_delivery_period": "VARCHAR",
    "last_blocked_at": "TIMESTAMP",
}
DISTRICT_CELL_COLUMNS: dict[str, str] = {
    "city": "VARCHAR",
    "country": "VARCHAR",
    "period": "VARCHAR",
    "district_code": "VARCHAR",
    "district_level": "VARCHAR",
    "indicator_id": "VARCHAR",
    "breakdown": "VARCHAR",
    "group_value": "VARCHAR",
    "is_total": "BOOLEAN",
    "basis": "VARCHAR",
    "is_provisional": "BOOLEAN",
    "is_break": "BOOLEAN",
    "suppression_family": "VARCHAR",
    "numerator": "DOUBLE",
    "denominator": "DOUBLE",
    "value": "DOUBLE",
    "ci_lower": "DOUBLE",
    "ci_upper": "DOUBLE",
    "is_suppressed": "BOOLEAN",
    "suppression_reason": "VARCHAR",
}
RETENTION_COLUMNS: dict[str, str] = {
    "city": "VARCHAR",
    "country": "VARCHAR",
    "period": "VARCHAR",
    "nationality_group": "VARCHAR",
    "arrival_year": "BIGINT",
    "months": "INTEGER",
    "retention": "DOUBLE",
    "ci_lower": "DOUBLE",
    "ci_upper": "DOUBLE",
    "n_at_risk": "BIGINT",
    "n_left_cumulative": "BIGINT",
    "method": "VARCHAR",
    "basis": "VARCHAR",
}
DUNKELZIFFER_COLUMNS: dict[str, str] = {
    "city": "VARCHAR",
    "country": "VARCHAR",
    "period": "VARCHAR",
    "stichtag": "DATE",
    "nationality_group": "VARCHAR",
    "age_band": "VARCHAR",
    "method": "VARCHAR",
    "quantity": "VARCHAR",
    "registered": "BIGINT",
    "point": "DOUBLE",
    "lower": "DOUBLE",
    "upper": "DOUBLE",
    "se": "DOUBLE",
    "interval_method": "VARCHAR",
    "assumptions": "VARCHAR",
    "warnings": "VARCHAR",
    "valid": "BOOLEAN",
    "model": "VARCHAR",
    "recommended": "BOOLEAN",
    "is_suppressed": "BOOLEAN",
    "suppression_reason": "VARCHAR",
    "basis": "VARCHAR",
}
REGISTER_VS_OFFICIAL_COLUMNS: dict[str, str] = {
    "city": "VARCHAR",
    "city_name": "VARCHAR",
    "city_key": "VARCHAR",
    "year": "BIGINT",
    "period": "VARCHAR",
    "flow": "VARCHAR",
    "register_value": "BIGINT",
    "register_months": "BIGINT",
    "register_year_complete": "BOOLEAN",
    "register_status_changes": "BIGINT",
    "official_value": "DOUBLE",
    "difference": "DOUBLE",
    "ratio_register_to_official": "DOUBLE",
    "comparison_status": "VARCHAR",
    "explanation": "VARCHAR",
    "official_known_issue": "VARCHAR",
    "official_definition": "VARCHAR",
    "is_suppressed": "BOOLEAN",
    "suppression_reason": "VARCHAR",
}

# DuckDB type of the contract -> Polars type a Parquet file of the package must carry.
POLARS_TYPES = {
    "VARCHAR": pl.String,
    "BOOLEAN": pl.Boolean,
    "DOUBLE": pl.Float64,
    "BIGINT": pl.Int64,
    "INTEGER": pl.Int32,
    "DATE": pl.Date,
    "TIMESTAMP": pl.Datetime,
}


# --- disclosure rules ------------------------------------------------------------------------


def _small(column: str) -> pl.Expr:
    """A count of 1 or 2 by magnitude, rounded either way (an estimate of -1 or 1.4 tells as much
    as a count; 0.5 and 2.5 count whether half rounds up or to even). Same bounds as the dbt
    macro disclosure_is_small."""
    return pl.col(column).cast(pl.Float64).abs().is_between(0.5, 2.5).fill_null(False)


def forbidden_columns(frame: pl.DataFrame) -> list[str]:
    return [f"column {c!r} looks person-level" for c in frame.columns if FORBIDDEN_COLUMN_RE.search(c)]


def _leaky(frame: pl.DataFrame, numbers: list[str]) -> list[str]:
    leaky = frame.filter(
        pl.col("is_suppressed").fill_null(False) & pl.any_horizontal([pl.col(c).is_not_null() for c in numbers])
    )
    return [f"{leaky.height} suppressed row(s) still carry numbers"] if leaky.height else []


def cell_problems(
    cells: pl.DataFrame, margins: tuple[tuple[list[str], pl.Expr], ...] = ((SUPPRESSION_GROUP, pl.col("is_total")),)
) -> list[str]:
    """Violations of the disclosure rules in a cell table (empty list = clean).

    Mirrors macros/disclosure_control.sql: no register count of 1 or 2 published, suppressed
    cells carry no numbers, and in no group (one per margin: group columns and what marks the
    group's total) a published total sits beside exactly one hidden detail cell.
    """
    problems = forbidden_columns(cells)
    if cells.is_empty():
        return problems
    small = cells.filter(
        (pl.col("basis").fill_null("register") == "register")
        & ~pl.col("is_suppressed")
        & (_small("numerator") | _small("denominator"))
    )
    if small.height:
        problems.append(
            f"{small.height} published cell(s) with a count of 1 or 2, e.g. "
            f"{small.select(SUPPRESSION_GROUP + ['group_value']).row(0)}"
        )
    problems += _leaky(cells, ["numerator", "denominator", "value", "ci_lower", "ci_upper"])
    for group, total in margins:
        lonely = (
            cells.group_by(group)
            .agg(
                (total & ~pl.col("is_suppressed")).sum().alias("open_totals"),
                (~total & pl.col("is_suppressed")).sum().alias("hidden_cells"),
            )
            .filter((pl.col("open_totals") > 0) & (pl.col("hidden_cells") == 1))
        )
        if lonely.height:
            problems.append(
                f"{lonely.height} group(s) by {group} hide a single cell next to a published "
                f"total (recoverable by subtraction), e.g. {lonely.row(0)[: len(group)]}"
            )
    return problems


def district_level_problems(cells: pl.DataFrame) -> list[str]:
    """Every row names its level; the city total (INSGESAMT) and only it is at level 'stadt'.
    (That an indicator is not published at two nested levels needs the district hierarchy and
    is checked in dbt: test disclosure_no_nested_districts.)"""
    if cells.is_empty():
        return []
    is_city = pl.col("district_code") == "INSGESAMT"
    level = pl.col("district_level")
    wrong = cells.filter(level.is_null() | ~level.is_in(DISTRICT_LEVELS) | (is_city != (level == "stadt")))
    if wrong.height:
        return [
            f"{wrong.height} district cell(s) with a missing or wrong district_level, e.g. "
            f"{wrong.select('district_code', 'district_level').row(0)} (allowed: {', '.join(DISTRICT_LEVELS)}; "
            f"'stadt' exactly for INSGESAMT)"
        ]
    return []


def district_cell_problems(cells: pl.DataFrame) -> list[str]:
    """Two margins: the district's total over groups, and the city figure over the districts of
    the indicator's table (one level per indicator, see fct_exchange_district_cells)."""
    if "district_level" in cells.columns:
        level_problems = district_level_problems(cells)
    else:
        level_problems = ["column 'district_level' missing"]
    return level_problems + cell_problems(
        cells,
        margins=(
            (["city", "period", "indicator_id", "district_code"], pl.col("is_total")),
            (["city", "period", "indicator_id", "group_value"], pl.col("district_code") == "INSGESAMT"),
        ),
    )


def dunkelziffer_problems(est: pl.DataFrame) -> list[str]:
    """Estimates: no registered count or rounded point of 1 or 2, withheld rows empty, every
    published point with its interval (lower limit; the upper one may be unbounded) and
    interval method, and no group withholding a single age band (its total is published)."""
    problems = forbidden_columns(est)
    if est.is_empty():
        return problems
    open_rows = est.filter(~pl.col("is_suppressed"))
    small = open_rows.filter(_small("registered") | _small("point"))
    if small.height:
        problems.append(f"{small.height} published estimate(s) with a count of 1 or 2")
    problems += _leaky(est, ["registered", "point", "lower", "upper", "se"])
    bare = open_rows.filter(
        pl.col("point").is_not_null() & (pl.col("lower").is_null() | pl.col("interval_method").is_null())
    )
    if bare.height:
        problems.append(f"{bare.height} published estimate(s) without an interval")
    lonely = (
        est.filter(pl.col("is_suppressed"))
        .group_by(["city", "stichtag", "nationality_group"])
        .agg(pl.col("age_band").n_unique().alias("n"))
        .filter(pl.col("n") == 1)
    )
    if lonely.height:
        problems.append(
            f"{lonely.height} group(s) withhold a single age band (recoverable from the published population)"
        )
    return problems


def retention_problems(curves: pl.DataFrame) -> list[str]:
    """Curve points: at least 3 at risk, departures 0 or at least 3, every point with its interval."""
    problems = forbidden_columns(curves)
    if curves.is_empty():
        return problems
    small = curves.filter(
        (pl.col("n_at_risk").fill_null(0) < 3) | pl.col("n_left_cumulative").is_null() | _small("n_left_cumulative")
    )
    if small.height:
        problems.append(f"{small.height} curve point(s) with fewer than 3 at risk or 1-2 departures")
    bare = curves.filter(
        pl.any_horizontal([pl.col(c).is_null() for c in ("retention", "ci_lower", "ci_upper", "method")])
    )
    if bare.height:
        problems.append(f"{bare.height} curve point(s) without an interval or method")
    return problems


def register_vs_official_problems(cmp: pl.DataFrame) -> list[str]:
    """Register counts (and status changes) of 1 or 2 withheld with what would reveal them; the
    official value is published by the office and exempt."""
    problems = forbidden_columns(cmp)
    if cmp.is_empty():
        return problems
    small = cmp.filter(_small("register_value") | _small("register_status_changes"))
    if small.height:
        problems.append(f"{small.height} row(s) with a register count of 1 or 2")
    problems += _leaky(cmp, ["register_value", "difference", "ratio_register_to_official"])
    return problems


def gate_problems(gate: pl.DataFrame) -> list[str]:
    return forbidden_columns(gate)


# --- the tables of a package -------------------------------------------------------------------


@dataclass(frozen=True)
class PackageTable:
    file: str  # file name in the package
    relation: str  # exchange-layer relation the exporter reads
    columns: dict[str, str]  # contract: column -> DuckDB type, in this order
    scope_column: str  # equals the package's quarter in every row (`period` in every table)
    scope: str  # what "the quarter" means for this table (into the manifest)
    check: Callable[[pl.DataFrame], list[str]]
    all_periods_rows: bool = False  # rows with scope_column NULL apply to every quarter and travel along

    @property
    def import_table(self) -> str:
        return self.file.removesuffix(".parquet")


TABLES: tuple[PackageTable, ...] = (
    PackageTable(
        "cells.parquet",
        "exchange.fct_exchange_cells",
        CELL_COLUMNS,
        "period",
        "cells of the quarter",
        cell_problems,
        all_periods_rows=True,
    ),
    PackageTable(
        "quality_gate.parquet",
        "exchange.fct_exchange_quality_gate",
        GATE_COLUMNS,
        "period",
        "blocks of the quarter, plus blocks of every quarter (period NULL)",
        gate_problems,
        all_periods_rows=True,
    ),
    PackageTable(
        "district_cells.parquet",
        "exchange.fct_exchange_district_cells",
        DISTRICT_CELL_COLUMNS,
        "period",
        "district cells of the quarter",
        district_cell_problems,
    ),
    PackageTable(
        "retention_curves.parquet",
        "exchange.fct_exchange_retention_curves",
        RETENTION_COLUMNS,
        "period",
        "snapshot: curves of every arrival cohort estimated on the data up to the quarter "
        "(period = as-of quarter); only the package of the quarter the warehouse estimated them "
        "as of (its latest) carries them, other packages an empty file",
        retention_problems,
    ),
    PackageTable(
        "dunkelziffer_estimates.parquet",
        "exchange.fct_exchange_dunkelziffer_estimates",
        DUNKELZIFFER_COLUMNS,
        "period",
        "estimates whose reference date (stichtag) lies in the quarter",
        dunkelziffer_problems,
    ),
    PackageTable(
        "register_vs_official.parquet",
        "exchange.fct_exchange_register_vs_official",
        REGISTER_VS_OFFICIAL_COLUMNS,
        "period",
        "snapshot: every year as known with the data up to the quarter (period = as-of "
        "quarter); register_months/register_year_complete say how much of a year the "
        "register covers; only the package of the warehouse's latest quarter carries it",
        register_vs_official_problems,
    ),
)
TABLES_BY_FILE = {t.file: t for t in TABLES}


def _register_vs_official_from_2_0(frame: pl.DataFrame) -> pl.DataFrame:
    """Schema 2.0 named the as-of quarter `as_of_period` and repeated the year as text in `period`."""
    if "as_of_period" not in frame.columns or "period" not in frame.columns:
        return frame  # not the 2.0 layout: the contract check rejects it
    return frame.drop("period").rename({"as_of_period": "period"})


# Files of an older schema version whose columns differ from the contract: how they are read.
LEGACY_READERS: dict[tuple[str, str], Callable[[pl.DataFrame], pl.DataFrame]] = {
    ("2.0", "register_vs_official.parquet"): _register_vs_official_from_2_0,
}
