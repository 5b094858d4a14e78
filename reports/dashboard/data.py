"""The data a dashboard embeds, read from the published copy only.

Aggregates only, exactly as published: the intercity indicator table (city level, total and
nationality breakdowns, with numerator, denominator, interval and flags), the disclosure-
controlled district table plus the two ratios of published cells the maps use
(`reports.district_maps`), the catalogue texts in German, Dutch and English, and the district
boundaries (simplified, as SVG paths in a frame of their own per city). A withheld cell is
embedded without any value. Arrays are columnar with indices into lists of codes, which keeps the
alliance dashboard of the demo world at a few MB.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl

from reports import district_maps as dm
from reports import i18n
from reports.dashboard.texts import UI
from reports.data import alliance_cities, report_unit
from warehouse.db import connect

LANGS = ("de", "nl", "en")
BREAKDOWNS = ("total", "nationality_group", "nationality_summary")
GROUP_ORDER = ("INSGESAMT", "AUSL", "DE", "NL", "EU2", "EU_SONST", "ASYL8", "DRITT_SONST")
# flag bits of a row (the page decodes them)
SUPPRESSED, PROVISIONAL, NOT_COMPARABLE, BLOCKED, BREAK = 1, 2, 4, 8, 16
SIMPLIFY_M = 12.0  # boundary simplification (metres): below a pixel of a city-wide map
FRAME_WIDTH = 1000.0  # width of a city's SVG frame
SIGNIFICANT = 6


def _round(v) -> float | None:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return None
    if v == 0:
        return 0.0
    return float(f"{v:.{SIGNIFICANT}g}")


def _catalogue(con) -> pl.DataFrame:
    return con.sql("select * from reference.indicator_catalogue").pl()


def _texts(row: dict, field: str) -> dict[str, str]:
    """{de, nl, en} of a catalogue field (English without suffix; empty -> English)."""
    en = (row.get(field) or "").strip()
    return {
        "en": en,
        "de": (row.get(f"{field}_de") or "").strip() or en,
        "nl": (row.get(f"{field}_nl") or "").strip() or en,
    }


def _names(row: dict) -> dict[str, str]:
    return {lang: (row.get(f"name_{lang}") or row.get("name_de") or row["indicator_id"]) for lang in LANGS}


def _indicators(cat: pl.DataFrame, city_ids: set[str], district_ids: set[str]) -> list[dict]:
    out = []
    rows = {r["indicator_id"]: r for r in cat.iter_rows(named=True)}
    order = [*cat["indicator_id"].to_list(), *[i for i in dm.DERIVED if i not in rows]]
    for iid in order:
        if iid not in city_ids and iid not in district_ids:
            continue
        row = rows.get(iid)
        own = dm.DERIVED_ENTRIES.get(iid, {})
        if row is not None:
            item = {
                "id": iid,
                "topic": row.get("topic") or "",
                "unit_kind": report_unit(row.get("unit")),
                "name": _names(row),
                "unit": _texts(row, "unit"),
                "definition": _texts(row, "definition"),
                "caveats": _texts(row, "caveats"),
                "reading_aid": _texts(row, "reading_aid"),
                "source": row.get("source") or "",
            }
        else:
            item = {
                "id": iid,
                "topic": "stock",
                "unit_kind": report_unit(own["unit"]["en"]),
                "name": dict(own["name"]),
                "unit": dict(own["unit"]),
                "definition": {},
                "caveats": {lang: "" for lang in LANGS},
                "reading_aid": dict(own.get("reading_aid", {})),
                "source": "bestand",
            }
        if iid in district_ids and "definition" in own:  # the district version of the definition
            item["district_definition"] = dict(own["definition"])
        item["definition"] = item["definition"] or dict(own.get("definition", {}))
        item["city_level"] = iid in city_ids
        item["district_level"] = iid in district_ids
        out.append(item)
    return out


class _Codes:
    """A list of distinct strings and the index of each."""

    def __init__(self, values=()):
        self.items: list = []
        self.index: dict = {}
        for v in values:
            self(v)

    def __call__(self, v) -> int:
        if v not in self.index:
            self.index[v] = len(self.items)
            self.items.append(v)
        return self.index[v]


def _flags(df: pl.DataFrame) -> pl.Expr:
    def bit(col: str, value: int) -> pl.Expr:
        if col not in df.columns:
            return pl.lit(0)
        return pl.when(pl.col(col).fill_null(False)).then(value).otherwise(0)

    return (
        bit("is_suppressed", SUPPRESSED)
        + bit("is_provisional", PROVISIONAL)
        + bit("is_not_comparable", NOT_COMPARABLE)
        + bit("is_blocked", BLOCKED)
        + bit("is_break", BREAK)
    ).alias("flags")


def _runs(values: list) -> list:
    """Run-length encoding [value, count, value, count, ...] (the page expands it): key columns of
    rows sorted by them are long runs."""
    out: list = []
    for v in values:
        if out and out[-2] == v:
            out[-1] += 1
        else:
            out += [v, 1]
    return out


def _columnar(df: pl.DataFrame, codes: dict[str, _Codes], numbers: list[str]) -> dict:
    """Frame -> {column: list}: code columns as run-length encoded indices (`runs` names them),
    numbers rounded, a withheld row without any number (whatever arrived)."""
    df = df.sort(list(codes)[::-1])  # the first code column varies fastest
    hidden = (df["flags"] & SUPPRESSED) > 0
    out: dict[str, list] = {"runs": list(codes)}
    for col, c in codes.items():
        out[col] = _runs([c(v) for v in df[col].to_list()])
    for col in numbers:
        vals = df[col].to_list()
        out[col] = [None if h else _round(v) for v, h in zip(vals, hidden.to_list())]
    out["flags"] = df["flags"].to_list()
    return out


def _geometry(geo: pl.DataFrame, levels: _Codes) -> dict:
    """Per city: its SVG frame and every boundary (all levels and validity periods) as a path."""
    import shapely

    out: dict[str, dict] = {}
    for city in sorted(geo["city"].unique().to_list()):
        rows = geo.filter(pl.col("city") == city).sort("district_level", "district_code", "valid_from")
        shapes = shapely.from_wkb(rows["geometry_wkb"].to_list())
        x0, y0, x1, y1 = shapely.total_bounds(shapes)
        scale = FRAME_WIDTH / max(x1 - x0, 1.0)
        height = (y1 - y0) * scale
        items = []
        for r, g in zip(rows.iter_rows(named=True), shapes):
            label = g.representative_point()
            g = shapely.simplify(g, SIMPLIFY_M, preserve_topology=True)
            items.append(
                {
                    "code": r["district_code"],
                    "name": r["district_name"] or r["district_code"],
                    "level": levels(r["district_level"]),
                    "from": r["valid_from"].isoformat() if r["valid_from"] else None,
                    "to": r["valid_to"].isoformat() if r["valid_to"] else None,
                    "d": _svg_path(g, x0, y1, scale),
                    "lx": round((label.x - x0) * scale, 1),
                    "ly": round((y1 - label.y) * scale, 1),
                }
            )
        out[city] = {"w": FRAME_WIDTH, "h": round(height, 1), "districts": items}
    return out


def _svg_path(g, x0: float, y1: float, scale: float) -> str:
    parts = []
    for p in getattr(g, "geoms", [g]):
        for ring in (p.exterior, *p.interiors):
            xy = np.asarray(ring.coords)[:-1]
            px = np.round((xy[:, 0] - x0) * scale, 1)
            py = np.round((y1 - xy[:, 1]) * scale, 1)
            pts = " ".join(f"{a:g} {b:g}" for a, b in zip(px, py))
            parts.append(f"M{pts}Z")
    return "".join(parts)


def _district_columns(
    d: pl.DataFrame, periods: _Codes, groups: _Codes, indicators: _Codes, cities: _Codes, levels: _Codes
) -> dict:
    """The district cells as columns. Each row carries its own level (`district_level`, an index
    into `levels`): a code's level can change with a district reform (Düsseldorf's 09 is a
    Stadtbezirk until 2023 and 'unbekannt' after), so one level per city and code would be wrong
    for some of its periods, and which one it was depended on the order of the rows."""
    code_codes = _Codes()
    out = _columnar(
        d,
        {
            "district_level": levels,  # fastest: constant over a code's periods but at a reform
            "period": periods,
            "district_code": code_codes,
            "group_value": groups,
            "indicator_id": indicators,
            "city": cities,
        },
        ["value", "numerator", "denominator"],
    )
    out["codes"] = code_codes.items
    return out


def payload(published: Path, alliance: str, city: str | None = None) -> dict:
    """Everything the page shows (see module docstring); `city`: a city's own dashboard (its
    districts only; the other cities of the alliance stay in the time series for comparison)."""
    cities = alliance_cities(alliance)
    if city and city not in cities:
        raise ValueError(f"city {city!r} is not in alliance {alliance!r}")
    slugs = list(cities)
    with connect(published, read_only=True) as con:
        cat = _catalogue(con)
        # filtered in Polars: a bound DuckDB parameter imports pandas (seconds per process)
        series = (
            con.sql("select * from alliance.fct_intercity_indicators")
            .pl()
            .filter(pl.col("city").is_in(slugs) & pl.col("breakdown").is_in(BREAKDOWNS))
        )
        about = con.sql("select * from publication.about").pl().row(0, named=True)
    countries = dict(series.select("city", "country").unique().iter_rows())
    cells, geo = dm.read_published(published, [city] if city else slugs)
    cells = dm.with_derived(cells) if cells is not None else None
    geo = geo if geo is not None else pl.DataFrame()

    periods = sorted(set(series["period"].to_list()) | (set(cells["period"].to_list()) if cells is not None else set()))
    city_ids = set(series["indicator_id"].to_list())
    district_ids = set(cells["indicator_id"].to_list()) if cells is not None else set()
    indicators = _indicators(cat, city_ids, district_ids)
    ind_codes = _Codes(i["id"] for i in indicators)
    city_codes, period_codes = _Codes(slugs), _Codes(periods)
    group_codes = _Codes(GROUP_ORDER)
    reasons = _Codes([None])
    levels = _Codes()

    s = series.with_columns(_flags(series)).filter(pl.col("indicator_id").is_in(ind_codes.items))
    reason_idx = [
        reasons(
            None
            if not (nc or bl)
            else tuple("; ".join(x for x in (b, n) if x) for b, n in ((bl, nc), (bl, nc_de or nc), (bl, nc_nl or nc)))
        )
        for nc, nc_de, nc_nl, bl in zip(
            s["not_comparable_reason"].to_list(),
            s["not_comparable_reason_de"].to_list(),
            s["not_comparable_reason_nl"].to_list(),
            s["blocked_reason"].to_list(),
        )
    ]
    s = s.with_columns(pl.Series("reason", reason_idx), pl.col("basis").fill_null("register"))
    basis_codes = _Codes(["register", "official"])
    series_cols = _columnar(
        s,
        {
            "period": period_codes,
            "group_value": group_codes,
            "indicator_id": ind_codes,
            "city": city_codes,
            "basis": basis_codes,
            "reason": _Codes(range(len(reasons.items))),
        },
        ["value", "numerator", "denominator", "ci_lower", "ci_upper"],
    )
    series_cols["bases"] = basis_codes.items

    districts = {}
    if cells is not None and not cells.is_empty():
        d = cells.with_columns(_flags(cells)).filter(pl.col("indicator_id").is_in(ind_codes.items))
        districts = _district_columns(d, period_codes, group_codes, ind_codes, city_codes, levels)
    geometry = _geometry(geo, levels) if not geo.is_empty() else {}
    with_data = set(series["city"].to_list()) | (set(cells["city"].to_list()) if cells is not None else set())

    return {
        "meta": {
            "alliance": alliance,
            "city": city,
            "synthetic": bool(about.get("synthetic")),
            "published_at": str(about.get("published_at")),
            "data_version": about.get("data_version"),
            "langs": list(LANGS),
            "default_lang": i18n.DEFAULT_LANGUAGE,
        },
        "ui": UI,
        "map_texts": {k: dm.TEXTS[k] for k in ("withheld", "no_value", "classes", "source", "synthetic")},
        "cities": [
            {
                "slug": c,
                "name": cities[c],
                "country": countries.get(c, ""),
                "own": not city or c == city,
                "has_data": c in with_data,
            }
            for c in slugs
        ],
        "groups": [
            {"code": g, "label": {lang: i18n.group_label(g, lang) for lang in LANGS}} for g in group_codes.items
        ],
        "indicators": indicators,
        "periods": period_codes.items,
        "levels": levels.items,
        "reasons": [None if r is None else dict(zip(("en", "de", "nl"), r)) for r in reasons.items],
        "series": series_cols,
        "districts": districts,
        "geometry": geometry,
        "classes": {"n": dm.N_CLASSES, "colours": list(dm.CLASS_COLOURS), "withheld": dm.WITHHELD_COLOUR},
    }
