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
    "gate_decisions": ("publication", "gate_decisions"),
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
# A rate or share on fewer persons than this is shown in parentheses (limited reliability, as the
# official statistics mark it) and left out of the "notable movements"; small demo worlds have many.
SMALL_DENOMINATOR = 100
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
    cities: dict[str, str]  # slug -> display name: the members shown in this quarter
    frames: dict[str, pl.DataFrame | None]
    synthetic: bool
    source_path: str
    gaps: list[CityGap] = field(default_factory=list)  # missing and blocked members
    members: dict[str, str] = field(default_factory=dict)  # every member of the alliance
    notes: list[str] = field(default_factory=list)

    @property
    def missing_cities(self) -> list[tuple[str, str]]:
        """(slug, kind) of the members left out of this quarter's tables and charts."""
        return [(g.city, g.kind) for g in self.gaps if g.kind != "partly_blocked"]

    @property
    def partly_blocked(self) -> list[tuple[str, str]]:
        return [(g.city, g.kind) for g in self.gaps if g.kind == "partly_blocked"]

    def name(self, slug: str) -> str:
        return self.members.get(slug) or self.cities.get(slug) or slug

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


@dataclass(frozen=True)
class Block:
    """A source of a city withheld by a quality check in the report's quarter."""

    source: str
    period: str | None = None  # the delivery period (month, date or quarter) where known
    check: str | None = None  # the check's name (its last part), an identifier


@dataclass(frozen=True)
class CityGap:
    """Why a city of the alliance is not (fully) in the report's quarter.

    kind: `no_data` (nothing for the quarter in the alliance layer), `all_blocked` (every figure
    withheld by quality checks) - both leave the city out of every table and chart - or
    `partly_blocked` (the city is shown; its blocked indicators are flagged g, out of the charts)."""

    city: str
    kind: str
    blocks: tuple[Block, ...] = ()


def _in_quarter(period: str | None, quarter: str) -> bool:
    if not period:
        return False
    return period == quarter or period[:7] in quarter_months(quarter)


def city_gaps(cities: dict[str, str], quarter: str, frames) -> list[CityGap]:
    """Missing and blocked cities of the quarter, from the same rows the tables and charts show.

    A city counts as present when the alliance table has a published cell for it in the quarter
    (a value or a suppressed cell) that no quality check withholds; blocks come from the alliance
    table's `is_blocked` rows (which sources) and the published quality gate (which period, which
    check)."""
    ind = frames.get("indicators")
    gate = frames.get("quality_gate")
    rows = pl.DataFrame() if ind is None else ind.filter(pl.col("period") == quarter)
    gaps = []
    for slug in cities:
        own = rows.filter(pl.col("city") == slug) if not rows.is_empty() else rows
        blocked_rows = own.filter(pl.col("is_blocked").fill_null(False)) if "is_blocked" in own.columns else own.clear()
        sources = set()
        for reason in blocked_rows["blocked_reason"].drop_nulls().to_list() if "blocked_reason" in own.columns else []:
            sources |= {part.split(":", 1)[0].strip() for part in reason.split(";") if ":" in part}
        blocks: list[Block] = []
        if gate is not None and not gate.is_empty():
            for g in gate.filter(pl.col("city") == slug).sort("source", "period", "check_name").iter_rows(named=True):
                if _in_quarter(g.get("period"), quarter) or g.get("period") is None:
                    check = (g.get("check_name") or "").split(".")[-1] or None
                    blocks.append(Block(g["source"], g.get("period"), check))
        known = {b.source for b in blocks}
        blocks += [Block(src) for src in sorted(sources - known)]
        present = False
        if not own.is_empty():
            published = pl.col("value").is_not_null() | pl.col("is_suppressed").fill_null(False)
            if "is_blocked" in own.columns:
                published = published & ~pl.col("is_blocked").fill_null(False)
            present = not own.filter(published).is_empty()
        if not present:
            gaps.append(CityGap(slug, "all_blocked" if blocks else "no_data", tuple(dict.fromkeys(blocks))))
        elif blocks:
            gaps.append(CityGap(slug, "partly_blocked", tuple(dict.fromkeys(blocks))))
    return gaps


def load_report_data(alliance: str, quarter: str, db_path: Path | str | None = None) -> ReportData:
    """Everything the report needs, read once from the published warehouse (or `db_path`)."""
    parse_quarter(quarter)
    path = Path(db_path) if db_path else published_path()
    if not path.exists():
        raise FileNotFoundError(f"warehouse {path} does not exist (run the pipeline or publish first)")
    cities = alliance_cities(alliance)
    frames = _read_tables(path)
    _shape_frames(frames, cities, quarter)
    gaps = city_gaps(cities, quarter, frames)
    left_out = {g.city for g in gaps if g.kind != "partly_blocked"}
    shown = {slug: name for slug, name in cities.items() if slug not in left_out}
    for key in ("indicators", "retention", "dunkelziffer", "official"):
        df = frames.get(key)
        if df is not None and "city" in df.columns:
            frames[key] = df.filter(pl.col("city").is_in(list(shown)))
    return ReportData(
        alliance=alliance,
        quarter=quarter,
        cities=shown,
        frames=frames,
        synthetic=is_synthetic(frames),
        source_path=str(path),
        gaps=gaps,
        members=cities,
    )


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
    entry = {"name": indicator_id, "unit": "", "unit_text": "", "topic": "", "sources": [], "basis": ""}
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
    entry["sources"] = [c.strip() for c in (row.get("source") or "").split(",") if c.strip()]
    entry["basis"] = row.get("basis") or ""
    return entry


def indicators_for(data: ReportData, topic: str) -> list[str]:
    """Indicator ids of a report topic (catalogue `topic`) present in the data, in catalogue order."""
    ind = data.frame("indicators")
    cat = data.frame("catalogue")
    if ind is None or cat is None or "topic" not in cat.columns:
        return []
    # an indicator counts as present with a published cell (a value or a suppressed one); the
    # placeholder rows the alliance layer adds for a blocked source alone do not make a section
    published = pl.col("value").is_not_null() | pl.col("is_suppressed").fill_null(False)
    present = set(ind.filter(published)["indicator_id"].unique().to_list())
    return [i for i in cat.filter(pl.col("topic") == topic)["indicator_id"].to_list() if i in present]


def is_count_unit(unit: str) -> bool:
    return (unit or "").lower() in COUNT_UNITS


# What a value of a report unit can logically be (floor, ceiling; None = unbounded): an interval
# reaching beyond is shown bounded and marked, never silently clipped.
LOGICAL_RANGE = {"count": (0.0, None), "persons": (0.0, None), "percent": (0.0, 100.0), "index": (0.0, 1.0)}


def logical_range(unit: str) -> tuple[float | None, float | None]:
    return LOGICAL_RANGE.get((unit or "").lower(), (None, None))


def bound_interval(lower, upper, floor=None, ceiling=None) -> tuple[float | None, float | None, bool]:
    """The part of [lower, upper] inside [floor, ceiling], and whether anything was cut off."""
    cut = False
    if lower is not None and floor is not None and lower < floor:
        lower, cut = floor, True
    if upper is not None and ceiling is not None and upper > ceiling:
        upper, cut = ceiling, True
    if lower is not None and ceiling is not None and lower > ceiling:
        lower, cut = ceiling, True
    if upper is not None and floor is not None and upper < floor:
        upper, cut = floor, True
    return lower, upper, cut


def is_small_base(denominator, unit: str) -> bool:
    """A rate or share whose denominator is below SMALL_DENOMINATOR persons."""
    if denominator is None or is_count_unit(unit) or unit == "balance":
        return False
    try:
        return float(denominator) < SMALL_DENOMINATOR
    except (TypeError, ValueError):
        return False
