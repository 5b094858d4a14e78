"""SQL that turns one city's raw table into the frame its suite validates (one frame per table for all cities checked).

The frame holds the raw columns (pseudonyms only where a uniqueness check needs them; they
are masked in every example) plus derived helper columns starting with `_`, because a GX
expectation compares columns of one row: the period a delivery covers (`_period_start`,
`_period_end`), and whether a district code was valid on the row's date in the city's own
`gebiete` file (`_bezirk_*_ok`). Everything stays in the city layer.
"""
from __future__ import annotations

from ingest.schemas import EVENT_TYPES, SCHOOL_FORMS_DE, SCHOOL_FORMS_NL

PERIOD_START = """CASE WHEN regexp_full_match(t.delivery_period, '[0-9]{4}-[0-9]{2}') THEN CAST(t.delivery_period || '-01' AS DATE)
         WHEN regexp_full_match(t.delivery_period, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN CAST(t.delivery_period AS DATE) END"""
PERIOD_END = """CASE WHEN regexp_full_match(t.delivery_period, '[0-9]{4}-[0-9]{2}') THEN last_day(CAST(t.delivery_period || '-01' AS DATE))
         WHEN regexp_full_match(t.delivery_period, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN CAST(t.delivery_period AS DATE) END"""
PROVENANCE_COLS = "t.city, t.delivery_period, t.delivery_file, t.source_line"


def district_ok(code: str, on: str, finest_only: bool = True) -> str:
    """True if `code` is empty or a district of the city valid on date `on` - of the finest level
    (movements, stock, persons), or of any level where the source aggregates (the Federal
    Employment Agency's SGB II tables may come by Stadtbezirk)."""
    finest = "" if finest_only else "TRUE OR "
    return f"""({code} IS NULL OR EXISTS (
        SELECT 1 FROM raw.gebiete g
        WHERE g.city = t.city AND g.bezirk_code = {code}
          AND g.gueltig_ab <= {on} AND (g.gueltig_bis IS NULL OR g.gueltig_bis >= {on})
          AND ({finest}NOT EXISTS (SELECT 1 FROM raw.gebiete c
                          WHERE c.city = g.city AND c.uebergeordnet_code = g.bezirk_code
                            AND c.gueltig_ab <= {on} AND (c.gueltig_bis IS NULL OR c.gueltig_bis >= {on})))))"""


def _in(codes) -> str:
    return ", ".join(f"'{c}'" for c in sorted(codes))


def _codes(kind: str) -> str:
    return ", ".join(f"'{code}'" for code, k in EVENT_TYPES.items() if k == kind)


_NEEDS_NEW = f"t.ereignis_art IN ({_codes('inflow')}, 'GEBURT', 'UMZUG')"
_NEEDS_OLD = f"t.ereignis_art IN ({_codes('outflow')}, 'TOD', 'UMZUG')"

RAW_FRAME_SQL: dict[str, str] = {
    "meldewesen": f"""
        SELECT t.*, {PERIOD_START} AS _period_start, {PERIOD_END} AS _period_end,
               year(t.ereignis_datum) AS _event_year,
               {district_ok('t.bezirk_neu', 't.ereignis_datum')}
                 AND (t.bezirk_neu IS NOT NULL OR NOT {_NEEDS_NEW}) AS _bezirk_neu_ok,
               {district_ok('t.bezirk_alt', 't.ereignis_datum')}
                 AND (t.bezirk_alt IS NOT NULL OR NOT {_NEEDS_OLD}) AS _bezirk_alt_ok,
               CASE WHEN t.ereignis_art IN ('ZU_AUSLAND', 'FO_AUSLAND')
                      THEN t.herkunft_ziel IN (SELECT unnest($nationality_keys))
                    WHEN t.ereignis_art IN ('ZU_INLAND', 'FO_INLAND')
                      THEN regexp_full_match(coalesce(t.herkunft_ziel, ''), '[0-9]{{8}}|GM[0-9]{{4}}')
                    ELSE TRUE END AS _herkunft_ziel_ok
        FROM raw.meldewesen t WHERE list_contains($cities, t.city)""",
    "bestand": f"""
        SELECT t.*, {PERIOD_START} AS _period_start, year(t.stichtag) AS _stichtag_year,
               {district_ok('t.bezirk', 't.stichtag')} AND t.bezirk IS NOT NULL AS _bezirk_ok
        FROM raw.bestand t WHERE list_contains($cities, t.city)""",
    "schule": f"""
        SELECT t.*, {PERIOD_START} AS _period_start,
               {PERIOD_START} - CAST({{school_tolerance_days}} AS INTEGER) AS _period_earliest,
               CASE WHEN {{country}} = 'NL' THEN t.schulform IN ({_in(SCHOOL_FORMS_NL)})
                    ELSE t.schulform IN ({_in(SCHOOL_FORMS_DE)}) END AS _schulform_ok,
               year(t.stichtag) AS _stichtag_year, year(t.stichtag) - t.geburtsjahr AS _age
        FROM raw.schule t WHERE list_contains($cities, t.city)""",
    "sgb2_aggregat": f"""
        SELECT t.*, {PERIOD_START} AS _period_start,
               {district_ok('t.bezirk', 't.monat', finest_only=False)} AS _bezirk_ok,
               (t.bg IS NULL) = coalesce(t.bg_gesperrt, FALSE)
                 AND (t.elb IS NULL) = coalesce(t.elb_gesperrt, FALSE)
                 AND (t.nef IS NULL) = coalesce(t.nef_gesperrt, FALSE)
                 AND (t.personen_in_bg IS NULL) = coalesce(t.personen_in_bg_gesperrt, FALSE)
                 AS _suppression_consistent
        FROM raw.sgb2_aggregat t WHERE list_contains($cities, t.city)""",
    "sgb2_personen": f"""
        SELECT t.*, {PERIOD_START} AS _period_start, year(t.monat) AS _month_year,
               {district_ok('t.bezirk', 't.monat')} AS _bezirk_ok
        FROM raw.sgb2_personen t WHERE list_contains($cities, t.city)""",
    "beratung": f"""
        SELECT t.*, {PERIOD_START} AS _period_start, {PERIOD_END} AS _period_end,
               year(t.kontakt_datum) AS _contact_year
        FROM raw.beratung t WHERE list_contains($cities, t.city)""",
    "wohnen_problemimmobilien": f"""
        SELECT t.*, {PERIOD_START} AS _period_start,
               {district_ok('t.bezirk', 't.stichtag')} AS _bezirk_ok
        FROM raw.wohnen_problemimmobilien t WHERE list_contains($cities, t.city)""",
    "wohnen_wohnungsbestand": f"""
        SELECT t.*, {PERIOD_START} AS _period_start,
               {district_ok('t.bezirk', 't.stichtag')} AND t.bezirk IS NOT NULL AS _bezirk_ok
        FROM raw.wohnen_wohnungsbestand t WHERE list_contains($cities, t.city)""",
    "gebiete": """
        SELECT t.* FROM raw.gebiete t WHERE list_contains($cities, t.city)""",
}

# Columns that name a failing row in the record: period to block, file and line to look at.
RAW_INDEX_COLUMNS = ["city", "delivery_period", "delivery_file", "source_line"]


def per_city_case(values: dict[str, object], default) -> str:
    """SQL CASE over t.city for a per-city setting (city configs are few; keeps one validation per table)."""
    whens = " ".join(f"WHEN '{c}' THEN '{v}'" if isinstance(v, str) else f"WHEN '{c}' THEN {v}"
                     for c, v in sorted(values.items()))
    dflt = f"'{default}'" if isinstance(default, str) else default
    return f"(CASE t.city {whens} ELSE {dflt} END)" if whens else f"({dflt})"
