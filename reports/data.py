"""Reading what a report shows from the published warehouse, read-only and briefly.

The report sees only the planners' copy (orchestration.publish): the alliance layer
(aggregated, disclosure-controlled), the indicator catalogue and the aggregated bookkeeping in
schema `publication` - never person-level tables, never the city marts.

Tables and the columns the report uses (docs/architecture.md, "Exchange, alliance and published
layers"); `ALIASES` renames the producing models' names to the report's:

- `alliance.fct_intercity_indicators`: city, period, indicator_id, breakdown, group_value
  (-> group_code), value, numerator, denominator, ci_lower, ci_upper, basis, is_suppressed,
  is_blocked, is_provisional, is_break, is_not_comparable, not_comparable_reason
  (-> comparability_note), rank_among_cities (-> rank), n_cities_ranked. The report keeps the
  breakdowns in `REPORT_BREAKDOWNS` (the nationality groups, the summary group AUSL, totals).
- `reference.indicator_catalogue`: indicator_id, topic, unit, name_de/_en/_nl, definition, caveats,
  reading_aid (English) and their German/Dutch columns definition_de/_nl, unit_de/_nl, caveats_de/_nl,
  reading_aid_de/_nl.
- `alliance.fct_retention_curves`: city, nationality_group (-> group_code), arrival_year,
  months, retention, ci_lower, ci_upper.
- `alliance.fct_dunkelziffer_estimates`: city, period, nationality_group, age_band, quantity,
  method, is_recommended, point (-> estimate), ci_lower, ci_upper, assumptions, warnings.
- `alliance.fct_register_vs_official`: city, year, flow, register_value, official_value,
  difference, comparison_status.
- `publication.delivery_counts`, `publication.quality_check_counts`, `publication.quality_gate`,
  `publication.load_runs`: bookkeeping aggregated by orchestration.publish.
A missing table leaves its section saying so; it never stops the report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ingest.config import load_cities
from warehouse.db import connect
from warehouse.settings import published_path

log = logging.getLogger(__name__)

TABLES = {
    "indicators": ("alliance", "fct_intercity_indicators"),
    "catalogue": ("reference", "indicator_catalogue"),
    "retention": ("alliance", "fct_retention_curves"),
    "dunkelziffer": ("alliance", "fct_dunkelziffer_estimates"),
    "official": ("alliance", "fct_register_vs_official"),
    "registry": ("publication", "delivery_counts"),
    "quality_results": ("publication", "quality_check_counts"),
    "quality_gate": ("publication", "quality_gate"),
    "load_runs": ("publication", "load_runs"),
}

# canonical name -> names of the producing models
ALIASES = {
    "group_code": ("group_value", "nationality_group"),
    "rank": ("rank_among_cities",),
    "comparability_note": ("not_comparable_reason",),
    "estimate": ("point",),
}

# Breakdowns of the intercity table the report's sections show (others - age bands, arrival
# cohorts - have their own sections or none).
REPORT_BREAKDOWNS = ("total", "nationality_group", "nationality_summary")
SUMMARY_GROUPS = ("EU2", "ASYL8", "AUSL")
RETENTION_GROUPS = ("INSGESAMT", "EU2", "ASYL8")
COUNT_UNITS = {"count", "persons", "cases", "anzahl"}
# catalogue unit (its first word) -> how the report formats it; shares and probabilities are
# shown in per cent (value and interval x 100, numerator and denominator unchanged)
_UNIT_KINDS = {
    "persons": "count",
    "pupils": "count",
    "properties": "count",
    "contacts": "count",
    "share": "percent",
    "probability": "percent",
    "per": "per_1000",
    "index": "index",
    "ratio": "ratio",
    "balance": "balance",
}


def report_unit(unit: str | None) -> str:
    """The report's unit for a catalogue unit ('share (0-1)' -> 'percent', 'persons (cases)' -> 'count')."""
    first = (unit or "").strip().split(" ")[0].lower()
    return _UNIT_KINDS.get(first, unit or "")


@dataclass
class ReportData:
    alliance: str
    quarter: str
    cities: dict[str, str]  # slug -> display name, alliance members
    frames: dict[str, pl.DataFrame | None]
    synthetic: bool
    source_path: str
    missing_cities: list[tuple[str, str]] = field(default_factory=list)  # (slug, reason)
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
    with connect(db_path, read_only=True) as con:
        present = {
            (s, t) for s, t in con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
        }
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
        hits = gate.filter(
            pl.col("city").is_in(list(cities))
            & pl.col("period").map_elements(lambda p: p[:7] in periods or p in periods, return_dtype=pl.Boolean)
        )
        for row in hits.iter_rows(named=True):
            reason = (
                f"{row['source']}{'/' + row['form'] if row.get('form') else ''} {row['period']}: "
                f"{row.get('reason') or row['check_name']}"
            )
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
    _shape_frames(frames, cities, quarter)
    data = ReportData(
        alliance=alliance,
        quarter=quarter,
        cities=cities,
        frames=frames,
        synthetic=is_synthetic(frames),
        source_path=str(path),
    )
    data.missing_cities = _missing_cities(cities, quarter, frames)
    return data


def _shape_frames(frames: dict, cities: dict[str, str], quarter: str) -> None:
    """Keep the alliance's cities and the report's breakdowns; shares in per cent; choose the
    retention cohort and the Dunkelziffer reference date."""
    cat = frames.get("catalogue")
    if cat is not None and "unit" in cat.columns:
        cat = cat.with_columns(
            source_unit=pl.col("unit"), unit=pl.col("unit").map_elements(report_unit, return_dtype=pl.String)
        )
        frames["catalogue"] = cat
    ind = frames.get("indicators")
    if ind is not None:
        ind = ind.filter(pl.col("city").is_in(list(cities)))
        if "breakdown" in ind.columns:
            ind = ind.filter(pl.col("breakdown").is_in(REPORT_BREAKDOWNS))
        if cat is not None:
            pct = cat.filter(pl.col("unit") == "percent")["indicator_id"].to_list()
            scale = pl.col("indicator_id").is_in(pct)
            ind = ind.with_columns(
                [
                    pl.when(scale).then(pl.col(c) * 100).otherwise(pl.col(c)).alias(c)
                    for c in ("value", "ci_lower", "ci_upper")
                    if c in ind.columns
                ]
            )
        frames["indicators"] = ind
    ret = frames.get("retention")
    if ret is not None and not ret.is_empty():
        ret = ret.filter(pl.col("city").is_in(list(cities)) & pl.col("group_code").is_in(RETENTION_GROUPS))
        if "arrival_year" in ret.columns and not ret.is_empty():
            # the latest arrival cohort followed for 36 months in some city of the alliance
            followed = ret.filter(pl.col("months") >= 36)["arrival_year"]
            cohort = followed.max() if len(followed) else ret["arrival_year"].max()
            ret = ret.filter(pl.col("arrival_year") == cohort)
        frames["retention"] = ret
    dz = frames.get("dunkelziffer")
    if dz is not None and not dz.is_empty() and "period" in dz.columns:
        dz = dz.filter(pl.col("city").is_in(list(cities)) & (pl.col("period") <= quarter))
        latest = dz.group_by("city").agg(pl.col("period").max().alias("_latest"))
        frames["dunkelziffer"] = (
            dz.join(latest, on="city").filter(pl.col("period") == pl.col("_latest")).drop("_latest")
        )


# Catalogue texts with a translation per language: English in the column without suffix,
# German and Dutch in `<field>_de` / `<field>_nl`.
CATALOGUE_TEXTS = ("definition", "caveats", "reading_aid")


def _text_in(row: dict, field: str, lang: str) -> str:
    """`<field>_<lang>`, or the English `<field>` where that cell is empty or missing."""
    return (row.get(f"{field}_{lang}") or "").strip() or (row.get(field) or "").strip()


def catalogue_entry(data: ReportData, indicator_id: str, lang: str) -> dict:
    """Name, definition, caveats, reading aid and unit of an indicator in `lang` (falls back to
    English for an empty cell and to the id for an unknown indicator; never fails).

    `unit` is the report's unit kind (count, percent, ...) that formats values; `unit_text` the
    catalogue's unit in `lang` for display."""
    cat = data.frame("catalogue")
    entry = {"name": indicator_id, "unit": "", "unit_text": "", "topic": ""}
    entry.update({field: "" for field in CATALOGUE_TEXTS})
    if cat is None or "indicator_id" not in cat.columns:
        return entry
    rows = cat.filter(pl.col("indicator_id") == indicator_id)
    if rows.is_empty():
        return entry
    row = rows.row(0, named=True)
    entry["name"] = row.get(f"name_{lang}") or row.get("name_de") or indicator_id
    for text_field in CATALOGUE_TEXTS:
        entry[text_field] = _text_in(row, text_field, lang)
    entry["unit"] = row.get("unit") or ""
    # _shape_frames keeps the catalogue's own English unit as source_unit
    entry["unit_text"] = (row.get(f"unit_{lang}") or "").strip() or row.get("source_unit") or entry["unit"]
    entry["topic"] = row.get("topic") or ""
    return entry


def indicators_for(data: ReportData, topic: str) -> list[str]:
    """Indicator ids of a report topic (catalogue `topic`) present in the data, in catalogue order."""
    ind = data.frame("indicators")
    cat = data.frame("catalogue")
    if ind is None or cat is None or "topic" not in cat.columns:
        return []
    present = set(ind["indicator_id"].unique().to_list())
    return [i for i in cat.filter(pl.col("topic") == topic)["indicator_id"].to_list() if i in present]


def is_count_unit(unit: str) -> bool:
    return (unit or "").lower() in COUNT_UNITS
