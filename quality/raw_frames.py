"""SQL that turns one city's raw table into the frame its suite validates (one frame per table for all cities checked).

The frame holds the raw columns (pseudonyms only where a uniqueness check needs them; they
are masked in every example) plus derived helper columns starting with `_`, because a GX
expectation compares columns of one row: the period a delivery covers (`_period_start`,
`_period_end`), and whether a district code was valid on the row's date in the city's own
`gebiete` file (`_bezirk_*_ok`). Every frame has exactly the rows of its raw table for the
cities checked (`SELECT t.* ... FROM raw.<table> t`; joins match one row at most), which
`quality.raw_suites` relies on to find duplicate keys on the raw table itself. Everything
stays in the city layer.
"""

from __future__ import annotations

from ingest.schemas import EVENT_TYPES, SCHOOL_FORMS_DE, SCHOOL_FORMS_NL

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
        SELECT 1 FROM raw.gebiete g
        WHERE g.city = k.city AND g.bezirk_code = {code}
          AND g.gueltig_ab <= {on} AND (g.gueltig_bis IS NULL OR g.gueltig_bis >= {on})
          AND ({finest}NOT EXISTS (SELECT 1 FROM raw.gebiete c
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

_NEU_JOIN, _NEU_OK = district_check("meldewesen", "bezirk_neu", "ereignis_datum", "_neu")
_ALT_JOIN, _ALT_OK = district_check("meldewesen", "bezirk_alt", "ereignis_datum", "_alt")
_STOCK_JOIN, _STOCK_OK = district_check("bestand", "bezirk", "stichtag", "_d")
_SGB2A_JOIN, _SGB2A_OK = district_check("sgb2_aggregat", "bezirk", "monat", "_d", finest_only=False)
_SGB2P_JOIN, _SGB2P_OK = district_check("sgb2_personen", "bezirk", "monat", "_d")
_PROBLEM_JOIN, _PROBLEM_OK = district_check("wohnen_problemimmobilien", "bezirk", "stichtag", "_d")
_DWELLING_JOIN, _DWELLING_OK = district_check("wohnen_wohnungsbestand", "bezirk", "stichtag", "_d")

RAW_FRAME_SQL: dict[str, str] = {
    "meldewesen": f"""
        SELECT t.*, {PERIOD_START} AS _period_start, {PERIOD_END} AS _period_end,
               year(t.ereignis_datum) AS _event_year,
               {_NEU_OK} AND (t.bezirk_neu IS NOT NULL OR NOT {_NEEDS_NEW}) AS _bezirk_neu_ok,
               {_ALT_OK} AND (t.bezirk_alt IS NOT NULL OR NOT {_NEEDS_OLD}) AS _bezirk_alt_ok,
               CASE WHEN t.ereignis_art IN ('ZU_AUSLAND', 'FO_AUSLAND')
                      THEN t.herkunft_ziel IN (SELECT unnest($nationality_keys))
                    WHEN t.ereignis_art IN ('ZU_INLAND', 'FO_INLAND')
                      THEN regexp_full_match(coalesce(t.herkunft_ziel, ''), '[0-9]{{8}}|GM[0-9]{{4}}')
                    ELSE TRUE END AS _herkunft_ziel_ok
        FROM raw.meldewesen t {_NEU_JOIN} {_ALT_JOIN} WHERE list_contains($cities, t.city)""",
    "bestand": f"""
        SELECT t.*, {PERIOD_START} AS _period_start, year(t.stichtag) AS _stichtag_year,
               {_STOCK_OK} AND t.bezirk IS NOT NULL AS _bezirk_ok
        FROM raw.bestand t {_STOCK_JOIN} WHERE list_contains($cities, t.city)""",
    "schule": f"""
        SELECT t.*, {PERIOD_START} AS _period_start,
               {PERIOD_START} - CAST({{school_tolerance_days}} AS INTEGER) AS _period_earliest,
               CASE WHEN {{country}} = 'NL' THEN t.schulform IN ({_in(SCHOOL_FORMS_NL)})
                    ELSE t.schulform IN ({_in(SCHOOL_FORMS_DE)}) END AS _schulform_ok,
               year(t.stichtag) AS _stichtag_year, year(t.stichtag) - t.geburtsjahr AS _age
        FROM raw.schule t WHERE list_contains($cities, t.city)""",
    "sgb2_aggregat": f"""
        SELECT t.*, {PERIOD_START} AS _period_start, {_SGB2A_OK} AS _bezirk_ok,
               (t.bg IS NULL) = coalesce(t.bg_gesperrt, FALSE)
                 AND (t.elb IS NULL) = coalesce(t.elb_gesperrt, FALSE)
                 AND (t.nef IS NULL) = coalesce(t.nef_gesperrt, FALSE)
                 AND (t.personen_in_bg IS NULL) = coalesce(t.personen_in_bg_gesperrt, FALSE)
                 AS _suppression_consistent
        FROM raw.sgb2_aggregat t {_SGB2A_JOIN} WHERE list_contains($cities, t.city)""",
    "sgb2_personen": f"""
        SELECT t.*, {PERIOD_START} AS _period_start, year(t.monat) AS _month_year, {_SGB2P_OK} AS _bezirk_ok
        FROM raw.sgb2_personen t {_SGB2P_JOIN} WHERE list_contains($cities, t.city)""",
    "beratung": f"""
        SELECT t.*, {PERIOD_START} AS _period_start, {PERIOD_END} AS _period_end,
               year(t.kontakt_datum) AS _contact_year
        FROM raw.beratung t WHERE list_contains($cities, t.city)""",
    "wohnen_problemimmobilien": f"""
        SELECT t.*, {PERIOD_START} AS _period_start, {_PROBLEM_OK} AS _bezirk_ok
        FROM raw.wohnen_problemimmobilien t {_PROBLEM_JOIN} WHERE list_contains($cities, t.city)""",
    "wohnen_wohnungsbestand": f"""
        SELECT t.*, {PERIOD_START} AS _period_start, {_DWELLING_OK} AND t.bezirk IS NOT NULL AS _bezirk_ok
        FROM raw.wohnen_wohnungsbestand t {_DWELLING_JOIN} WHERE list_contains($cities, t.city)""",
    "gebiete": """
        SELECT t.* FROM raw.gebiete t WHERE list_contains($cities, t.city)""",
}

# Columns that name a failing row in the record: period to block, file and line to look at.
RAW_INDEX_COLUMNS = ["city", "delivery_period", "delivery_file", "source_line"]


def per_city_case(values: dict[str, object], default) -> str:
    """SQL CASE over t.city for a per-city setting (city configs are few; keeps one validation per table)."""
    whens = " ".join(
        f"WHEN '{c}' THEN '{v}'" if isinstance(v, str) else f"WHEN '{c}' THEN {v}" for c, v in sorted(values.items())
    )
    dflt = f"'{default}'" if isinstance(default, str) else default
    return f"(CASE t.city {whens} ELSE {dflt} END)" if whens else f"({dflt})"
