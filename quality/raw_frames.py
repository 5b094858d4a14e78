"""SQL that turns one city's raw table into the frame its suite validates (one frame per table for all cities checked).

The frame holds the raw columns (pseudonyms only where a uniqueness check needs them; they
are masked in every example) plus derived helper columns starting with `_`, because a GX
expectation compares columns of one row. The generic ones follow from the source registry
(`ingest.sources`): the period a delivery covers (`_period_start`; `_period_end` where a monthly
source dates its rows by day), whether a district code was valid on the row's date in the city's
own `gebiete` file (`_<column>_ok`, at the finest level unless the registry allows any), and
whether suppressed counts are NULL exactly where flagged (`_suppression_consistent`). A suite
that needs more names them in `SUITE_COLUMNS`. Every frame has exactly the rows of its raw table
for the cities checked (`SELECT t.* ... FROM raw.<table> t`; joins match one row at most), which
`quality.raw_suites` relies on to find duplicate keys on the raw table itself. Everything
stays in the city layer.
"""

from __future__ import annotations

import re

from ingest import sources
from ingest.sources import EVENT_TYPES, SCHOOL_FORMS_DE, SCHOOL_FORMS_NL

PERIOD_START = """CASE WHEN regexp_full_match(t.delivery_period, '[0-9]{4}-[0-9]{2}') THEN CAST(t.delivery_period || '-01' AS DATE)
         WHEN regexp_full_match(t.delivery_period, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN CAST(t.delivery_period AS DATE) END"""
PERIOD_END = """CASE WHEN regexp_full_match(t.delivery_period, '[0-9]{4}-[0-9]{2}') THEN last_day(CAST(t.delivery_period || '-01' AS DATE))
         WHEN regexp_full_match(t.delivery_period, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN CAST(t.delivery_period AS DATE) END"""
PROVENANCE_COLS = "t.city, t.delivery_period, t.delivery_file, t.source_line"


def _district_valid(code: str, on: str, finest_only: bool) -> str:
    """True if `code` is a district of the city `k.city` valid on date `on` - of the finest level
    (movements, stock, persons), or of any level where the source aggregates (the Federal
    Employment Agency's SGB II tables may come by Stadtbezirk)."""
    finest = "" if finest_only else "TRUE OR "
    return f"""EXISTS (
        SELECT 1 FROM raw.{sources.DISTRICT_REFERENCE} g
        WHERE g.city = k.city AND g.bezirk_code = {code}
          AND g.gueltig_ab <= {on} AND (g.gueltig_bis IS NULL OR g.gueltig_bis >= {on})
          AND ({finest}NOT EXISTS (SELECT 1 FROM raw.{sources.DISTRICT_REFERENCE} c
                          WHERE c.city = g.city AND c.uebergeordnet_code = g.bezirk_code
                            AND c.gueltig_ab <= {on} AND (c.gueltig_bis IS NULL OR c.gueltig_bis >= {on}))))"""


def district_check(table: str, code: str, on: str, alias: str, finest_only: bool = True) -> tuple[str, str]:
    """(LEFT JOIN clause, TRUE/FALSE expression): is the row's district column `code` empty or
    valid on its date column `on` in the city's own `gebiete`?

    Validity is judged once per distinct (city, code, date) and joined back (one match per row
    at most: the joined keys are distinct). A correlated subquery per row cost DuckDB a
    delimiter join that copied every column of the table; this join carries three."""
    join = f"""LEFT JOIN (
        SELECT k.city, k.code, k.on_date, {_district_valid("k.code", "k.on_date", finest_only)} AS ok
        FROM (SELECT DISTINCT city, {code} AS code, {on} AS on_date FROM raw.{table}
              WHERE {code} IS NOT NULL AND list_contains($cities, city)) k) {alias}
          ON {alias}.city = t.city AND {alias}.code = t.{code} AND {alias}.on_date = t.{on}"""
    # No match: the code is empty (valid) or the date is empty (no district is valid on no date).
    return join, f"(t.{code} IS NULL OR coalesce({alias}.ok, FALSE))"


def _in(codes) -> str:
    return ", ".join(f"'{c}'" for c in sorted(codes))


def _codes(kind: str) -> str:
    return ", ".join(f"'{code}'" for code, k in EVENT_TYPES.items() if k == kind)


_NEEDS_NEW = f"t.ereignis_art IN ({_codes('inflow')}, 'GEBURT', 'UMZUG')"
_NEEDS_OLD = f"t.ereignis_art IN ({_codes('outflow')}, 'TOD', 'UMZUG')"

# Helper columns particular to one suite, added to (or replacing) the generic ones: SQL over the
# raw row `t`, where `{valid:<column>}` is the generic district check of that column and
# `{period_start}` the first day of the delivery period. `{school_tolerance_days}` and `{country}`
# are per-city settings filled in by quality.raw_suites.
SUITE_COLUMNS: dict[str, dict[str, str]] = {
    "meldewesen": {
        "_event_year": "year(t.ereignis_datum)",
        "_bezirk_neu_ok": f"{{valid:bezirk_neu}} AND (t.bezirk_neu IS NOT NULL OR NOT {_NEEDS_NEW})",
        "_bezirk_alt_ok": f"{{valid:bezirk_alt}} AND (t.bezirk_alt IS NOT NULL OR NOT {_NEEDS_OLD})",
        "_herkunft_ziel_ok": """CASE WHEN t.ereignis_art IN ('ZU_AUSLAND', 'FO_AUSLAND')
                      THEN t.herkunft_ziel IN (SELECT unnest($nationality_keys))
                    WHEN t.ereignis_art IN ('ZU_INLAND', 'FO_INLAND')
                      THEN regexp_full_match(coalesce(t.herkunft_ziel, ''), '[0-9]{8}|GM[0-9]{4}')
                    ELSE TRUE END""",
    },
    "bestand": {
        "_stichtag_year": "year(t.stichtag)",
        "_bezirk_ok": "{valid:bezirk} AND t.bezirk IS NOT NULL",
    },
    "schule": {
        "_period_earliest": "{period_start} - CAST({school_tolerance_days} AS INTEGER)",
        "_schulform_ok": f"""CASE WHEN {{country}} = 'NL' THEN t.schulform IN ({_in(SCHOOL_FORMS_NL)})
                    ELSE t.schulform IN ({_in(SCHOOL_FORMS_DE)}) END""",
        "_stichtag_year": "year(t.stichtag)",
        "_age": "year(t.stichtag) - t.geburtsjahr",
    },
    "sgb2_personen": {"_month_year": "year(t.monat)"},
    "beratung": {"_contact_year": "year(t.kontakt_datum)"},
    "wohnen_wohnungsbestand": {"_bezirk_ok": "{valid:bezirk} AND t.bezirk IS NOT NULL"},
}


def _generic_columns(table: sources.RawTable) -> dict[str, str]:
    """Helper columns every frame of a table like this one has (see the module docstring)."""
    src = sources.source(table.source)
    cols = {}
    if src.cadence != "reference":
        cols["_period_start"] = "{period_start}"
        if src.cadence == "monthly" and table.period_column not in table.month_columns:
            cols["_period_end"] = PERIOD_END
    for d in table.districts:
        cols[f"_{d.column}_ok"] = f"{{valid:{d.column}}}"
    if table.suppressed_counts:
        cols["_suppression_consistent"] = "\n                 AND ".join(
            f"(t.{c} IS NULL) = coalesce(t.{c}_gesperrt, FALSE)" for c in table.suppressed_counts
        )
    return cols


def build_frame_sql(table: sources.RawTable, suite_columns: dict[str, str] | None = None) -> str:
    """The frame of `table`: raw columns, generic helpers, then the suite's own (`SUITE_COLUMNS`)."""
    cols = {**_generic_columns(table), **(suite_columns or {})}
    joins = {}
    for d in table.districts:
        on = d.dates[0]
        joins[d.column] = district_check(table.name, d.column, on, f"_{d.column}", finest_only=not d.any_level)

    def fill(sql: str) -> str:
        sql = sql.replace("{period_start}", PERIOD_START)
        return re.sub(r"\{valid:(\w+)\}", lambda m: joins[m.group(1)][1], sql)

    select = "".join(f", {fill(sql)} AS {name}" for name, sql in cols.items())
    join_sql = "".join(f" {join}" for join, _ in joins.values())
    return f"""
        SELECT t.*{select}
        FROM raw.{table.name} t{join_sql} WHERE list_contains($cities, t.city)"""


RAW_FRAME_SQL: dict[str, str] = {t.name: build_frame_sql(t, SUITE_COLUMNS.get(t.name)) for t in sources.tables()}

# Columns that name a failing row in the record: period to block, file and line to look at.
RAW_INDEX_COLUMNS = ["city", "delivery_period", "delivery_file", "source_line"]


def per_city_case(values: dict[str, object], default) -> str:
    """SQL CASE over t.city for a per-city setting (city configs are few; keeps one validation per table)."""
    whens = " ".join(
        f"WHEN '{c}' THEN '{v}'" if isinstance(v, str) else f"WHEN '{c}' THEN {v}" for c, v in sorted(values.items())
    )
    dflt = f"'{default}'" if isinstance(default, str) else default
    return f"(CASE t.city {whens} ELSE {dflt} END)" if whens else f"({dflt})"
