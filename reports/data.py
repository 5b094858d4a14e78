"""Reading what a report shows from the (published) warehouse, read-only and briefly.

The report sees only the alliance layer (aggregated, disclosure-controlled), the indicator
catalogue, and the bookkeeping tables in `meta` - never person-level tables.

Expected shapes (canonical column names; `ALIASES` lists the names other parts may use, so a
renamed column is a one-line change here and not a silent gap):

- `alliance.fct_intercity_indicators`: one row per city x indicator x period (x group):
  city, indicator_id, period (YYYY-Qn), group_code, value, numerator, denominator, ci_lower,
  ci_upper, basis (register|official), is_suppressed, is_provisional, is_break,
  is_not_comparable, comparability_note, rank.
- `reference.indicator_catalogue`: indicator_id, topic, unit, name_de/_en/_nl,
  definition_de/_en/_nl.
- `alliance.fct_retention_curves`: city, group_code, months, retention, ci_lower, ci_upper.
- `alliance.fct_dunkelziffer_estimates`: city, period, method, estimate, ci_lower, ci_upper,
  assumptions.
- `alliance.fct_register_vs_official`: city, period, indicator_id, register_value,
  official_value, official_rounding.
- `meta.delivery_registry`, `meta.quality_results`, `meta.quality_gate`, `meta.load_runs`
  (DDL in ingest/schemas.py).
A missing table leaves its section saying so; it never stops the report.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from ingest.config import load_cities, published_path

log = logging.getLogger(__name__)

TABLES = {
    "indicators": ("alliance", "fct_intercity_indicators"),
    "catalogue": ("reference", "indicator_catalogue"),
    "retention": ("alliance", "fct_retention_curves"),
    "dunkelziffer": ("alliance", "fct_dunkelziffer_estimates"),
    "official": ("alliance", "fct_register_vs_official"),
    "registry": ("meta", "delivery_registry"),
    "quality_results": ("meta", "quality_results"),
    "quality_gate": ("meta", "quality_gate"),
    "load_runs": ("meta", "load_runs"),
}

# canonical name -> other names the producing models may use
ALIASES = {
    "indicator_id": ("indicator", "indicator_code", "indicator_key"),
    "group_code": ("group", "grp", "nationality_group", "group_key", "origin_type"),
    "ci_lower": ("interval_lower", "lower", "ci_low", "lower_bound"),
    "ci_upper": ("interval_upper", "upper", "ci_high", "upper_bound"),
    "is_suppressed": ("suppressed", "flag_suppressed"),
    "is_provisional": ("provisional", "flag_provisional"),
    "is_break": ("break", "series_break", "flag_break"),
    "is_not_comparable": ("not_comparable", "flag_not_comparable"),
    "period": ("quarter",),
    "retention": ("survival", "share_remaining"),
    "months": ("duration_months", "t"),
    "topic": ("section", "domain", "category"),
}

# Indicators the summary and the sections look for when the catalogue carries no `topic`.
DEFAULT_TOPICS = {
    "stock": ("stock",),
    "flows": ("inflows", "outflows", "net_migration", "fluctuation_rate"),
    "dwell": ("dwell_share_1y", "dwell_share_3y", "dwell_share_5y"),
    "concentration": ("top_district_share", "segregation_index"),
    "services": ("pupils", "pupils_newcomer_classes", "sgb2_persons", "sgb2_rate",
                 "problem_properties", "vacancy_rate"),
}
SUMMARY_GROUPS = ("EU2", "ASYL8", "AUSL")
COUNT_UNITS = {"count", "persons", "cases", "anzahl"}


@dataclass
class ReportData:
    alliance: str
    quarter: str
    cities: dict[str, str]                       # slug -> display name, alliance members
    frames: dict[str, pl.DataFrame | None]
    synthetic: bool
    source_path: str
    missing_cities: list[tuple[str, str]] = field(default_factory=list)   # (slug, reason)
    notes: list[str] = field(default_factory=list)

    def frame(self, name: str) -> pl.DataFrame | None:
        df = self.frames.get(name)
        return None if df is None or df.is_empty() else df


def quarter_months(quarter: str) -> list[str]:
    """'2026-Q3' -> ['2026-07', '2026-08', '2026-09']."""
    year, q = parse_quarter(quarter)
    return [f"{year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]


def parse_quarter(quarter: str) -> tuple[int, int]:
    try:
        year, q = quarter.split("-Q")
        year_i, q_i = int(year), int(q)
    except ValueError as exc:
        raise ValueError(f"quarter must look like 2026-Q3, got {quarter!r}") from exc
    if not 1 <= q_i <= 4:
        raise ValueError(f"quarter must look like 2026-Q3, got {quarter!r}")
    return year_i, q_i


def previous_quarter(quarter: str) -> str:
    year, q = parse_quarter(quarter)
    return f"{year - 1}-Q4" if q == 1 else f"{year}-Q{q - 1}"


def alliance_cities(alliance: str) -> dict[str, str]:
    cities = {slug: c.name for slug, c in sorted(load_cities().items()) if alliance in c.alliances}
    if not cities:
        raise ValueError(f"no city belongs to alliance {alliance!r}")
    return cities


def canonical(df: pl.DataFrame) -> pl.DataFrame:
    """Rename aliased columns to the canonical names (the first match wins)."""
    renames = {}
    for canon, alts in ALIASES.items():
        if canon in df.columns:
            continue
        for alt in alts:
            if alt in df.columns:
                renames[alt] = canon
                break
    return df.rename(renames)


def _read_tables(db_path: Path) -> dict[str, pl.DataFrame | None]:
    frames: dict[str, pl.DataFrame | None] = {}
    # Read-only and closed at once: the writer (dbt/ingest) may need the file next.
    with duckdb.connect(str(db_path), read_only=True) as con:
        present = {(s, t) for s, t in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
        for name, (schema, table) in TABLES.items():
            if (schema, table) in present:
                frames[name] = canonical(con.sql(f'SELECT * FROM "{schema}"."{table}"').pl())
            else:
                frames[name] = None
                log.info("report: %s.%s not in %s; section shows 'no data'", schema, table, db_path)
    return frames


def is_synthetic(frames: dict[str, pl.DataFrame | None]) -> bool:
    """Built from the demo world? (meta.load_runs.synthetic, set when DEMO_SYNTHETIC_DATA.txt was present)."""
    runs = frames.get("load_runs")
    return bool(runs is not None and "synthetic" in runs.columns and runs["synthetic"].fill_null(False).any())


def _missing_cities(cities: dict[str, str], quarter: str, frames) -> list[tuple[str, str]]:
    """Cities of the alliance that are blocked by a quality gate or have no data for the quarter."""
    periods = {quarter, *quarter_months(quarter)}
    out: dict[str, str] = {}
    gate = frames.get("quality_gate")
    if gate is not None and not gate.is_empty():
        hits = gate.filter(pl.col("city").is_in(list(cities))
                           & pl.col("period").map_elements(lambda p: p[:7] in periods or p in periods,
                                                           return_dtype=pl.Boolean))
        for row in hits.iter_rows(named=True):
            reason = f"{row['source']}{'/' + row['form'] if row.get('form') else ''} {row['period']}: " \
                     f"{row.get('reason') or row['check_name']}"
            out[row["city"]] = f"{out[row['city']]}; {reason}" if row["city"] in out else reason
    ind = frames.get("indicators")
    have = set() if ind is None else set(ind.filter(pl.col("period") == quarter)["city"].unique().to_list())
    for slug in cities:
        if slug not in have and slug not in out:
            out[slug] = f"no indicators for {quarter} in the alliance layer"
    return sorted(out.items())


def load_report_data(alliance: str, quarter: str, db_path: Path | str | None = None) -> ReportData:
    """Everything the report needs, read once from the published warehouse (or `db_path`)."""
    parse_quarter(quarter)
    path = Path(db_path) if db_path else published_path()
    if not path.exists():
        raise FileNotFoundError(f"warehouse {path} does not exist (run the pipeline or publish first)")
    cities = alliance_cities(alliance)
    frames = _read_tables(path)
    ind = frames.get("indicators")
    if ind is not None:
        frames["indicators"] = ind.filter(pl.col("city").is_in(list(cities)))
    data = ReportData(alliance=alliance, quarter=quarter, cities=cities, frames=frames,
                      synthetic=is_synthetic(frames), source_path=str(path))
    data.missing_cities = _missing_cities(cities, quarter, frames)
    return data


def catalogue_entry(data: ReportData, indicator_id: str, lang: str) -> dict:
    """Name, definition and unit of an indicator in `lang` (falls back to the id, never fails)."""
    cat = data.frame("catalogue")
    entry = {"name": indicator_id, "definition": "", "unit": "", "topic": ""}
    if cat is None or "indicator_id" not in cat.columns:
        return entry
    rows = cat.filter(pl.col("indicator_id") == indicator_id)
    if rows.is_empty():
        return entry
    row = rows.row(0, named=True)
    entry["name"] = row.get(f"name_{lang}") or row.get("name_de") or indicator_id
    entry["definition"] = row.get(f"definition_{lang}") or row.get("definition_de") or ""
    entry["unit"] = row.get("unit") or ""
    entry["topic"] = row.get("topic") or ""
    return entry


def indicators_for(data: ReportData, topic: str) -> list[str]:
    """Indicator ids of a report topic present in the data (catalogue `topic` first, defaults second)."""
    ind = data.frame("indicators")
    if ind is None:
        return []
    present = set(ind["indicator_id"].unique().to_list())
    cat = data.frame("catalogue")
    if cat is not None and "topic" in cat.columns:
        wanted = cat.filter(pl.col("topic") == topic)["indicator_id"].to_list()
        if wanted:
            return [i for i in wanted if i in present]
    return [i for i in DEFAULT_TOPICS.get(topic, ()) if i in present]


def is_count_unit(unit: str) -> bool:
    return (unit or "").lower() in COUNT_UNITS
