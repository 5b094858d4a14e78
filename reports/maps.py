"""District maps of the quarterly report and the city profile (matplotlib, Agg).

Per city that delivers boundaries, one figure of three choropleth maps for the report quarter
(`district_maps.REPORT_MAP_INDICATORS`: EU-2 share of the population, migration volume rate,
share registered 3+ years, all for the whole population): quintile classes, a legend with the
unit, withheld districts grey and hatched and named so in the legend, source and - for demo data
- the synthetic label in the figure itself. The values come from the published district table
(`reports.district_maps`); beside each PNG its CSV lists every value drawn (the renderer's
disclosure scan reads it).
"""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.patches import Patch, PathPatch  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402

from reports import district_maps as dm  # noqa: E402
from reports import i18n  # noqa: E402
from reports.data import catalogue_entry, report_unit  # noqa: E402
from reports.figures import save_chart  # noqa: E402

LABEL_MAX_DISTRICTS = 12  # names are written into the map up to this many districts
SYNTHETIC_RED = "#b00020"


def entry(data, indicator_id: str, lang: str) -> dict:
    """Name, unit kind, unit text, definition and reading aid of a map indicator: the catalogue's
    entry, completed by `district_maps.DERIVED_ENTRIES` for the ratios the catalogue lacks."""
    e = dict(catalogue_entry(data, indicator_id, lang))
    own = dm.DERIVED_ENTRIES.get(indicator_id, {})
    for key in ("name", "definition", "reading_aid"):
        if key in own and (key == "definition" or e.get(key) in ("", indicator_id, None)):
            e[key] = own[key][lang]
    if "unit" in own:
        e["unit_text"] = own["unit"][lang]
        e["unit"] = report_unit(own["unit"]["en"])
    return e


def display_scale(unit: str) -> tuple[float, int, str]:
    """(factor, decimals, suffix) of a report unit on the maps: shares in per cent."""
    if unit == "percent":
        return 100.0, 1, " %"
    if unit == "per_1000":
        return 1.0, 1, ""
    return 1.0, 0, ""


def _path(geom) -> MplPath:
    polygons = getattr(geom, "geoms", [geom])
    parts = []
    for p in polygons:
        for ring in (p.exterior, *p.interiors):
            xy = list(ring.coords)
            parts.append(MplPath(xy, [MplPath.MOVETO] + [MplPath.LINETO] * (len(xy) - 2) + [MplPath.CLOSEPOLY]))
    return MplPath.make_compound_path(*parts)


def class_labels(edges: list[float], unit: str, lang: str) -> list[str]:
    factor, decimals, suffix = display_scale(unit)
    fmt = lambda v: i18n.fmt_number(v * factor, lang, decimals)
    if len(edges) == 2 and edges[0] == edges[1]:
        return [fmt(edges[0]) + suffix]
    return [f"{fmt(lo)} – {fmt(hi)}{suffix}" for lo, hi in zip(edges[:-1], edges[1:])]


def draw_map(ax, m: dm.DistrictMap, unit: str, lang: str) -> list:
    """The choropleth on `ax`; returns the legend handles (classes, withheld, no value as present)."""
    import shapely

    colours = _class_colours(len(m.edges) - 1)
    shapes = shapely.from_wkb(m.districts["geometry_wkb"].to_list())
    label = m.districts.height <= LABEL_MAX_DISTRICTS
    for row, shape in zip(m.districts.iter_rows(named=True), shapes):
        if row["is_suppressed"]:
            style = dict(facecolor=dm.WITHHELD_COLOUR, hatch=dm.WITHHELD_HATCH)
        elif row["class"] is None:
            style = dict(facecolor=dm.NO_VALUE_COLOUR)
        else:
            style = dict(facecolor=colours[row["class"]])
        ax.add_patch(PathPatch(_path(shape), edgecolor=dm.EDGE_COLOUR, linewidth=0.5, **style))
        if label:
            p = shape.representative_point()
            name = textwrap.shorten(row["district_name"] or row["district_code"], 18, placeholder="…")
            ax.text(
                p.x,
                p.y,
                name,
                fontsize=5,
                ha="center",
                va="center",
                path_effects=[patheffects.withStroke(linewidth=1.5, foreground="white")],
            )
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_axis_off()
    handles = [
        Patch(facecolor=c, edgecolor=dm.EDGE_COLOUR, linewidth=0.5, label=t)
        for c, t in zip(colours, class_labels(m.edges, unit, lang) if m.edges else [])
    ]
    if m.n_withheld:
        handles.append(
            Patch(
                facecolor=dm.WITHHELD_COLOUR,
                edgecolor=dm.EDGE_COLOUR,
                hatch=dm.WITHHELD_HATCH,
                linewidth=0.5,
                label=dm.text("withheld", lang),
            )
        )
    if m.districts.filter(~pl.col("is_suppressed") & pl.col("value").is_null()).height:
        handles.append(
            Patch(
                facecolor=dm.NO_VALUE_COLOUR, edgecolor=dm.EDGE_COLOUR, linewidth=0.5, label=dm.text("no_value", lang)
            )
        )
    return handles


def _class_colours(k: int) -> list[str]:
    """k of the five class colours, spread over the ramp (3 classes: light, middle, dark)."""
    if k <= 0:
        return []
    if k == 1:
        return [dm.CLASS_COLOURS[2]]
    idx = [round(i * (len(dm.CLASS_COLOURS) - 1) / (k - 1)) for i in range(k)]
    return [dm.CLASS_COLOURS[i] for i in idx]


def city_figure(data, maps: list[dm.DistrictMap], city_name: str, lang: str, out_dir, name: str) -> str:
    """One figure of the city's maps side by side, each with its legend below; Markdown returned."""
    fig, axes = plt.subplots(1, len(maps), figsize=(7.4, 4.6), squeeze=False)
    chart_rows = []
    for ax, m in zip(axes[0], maps):
        e = entry(data, m.indicator_id, lang)
        handles = draw_map(ax, m, e["unit"], lang)
        unit_text = i18n.t("share_pct", lang) if e["unit"] == "percent" else e["unit_text"]
        unit_line = "" if unit_text.lower() in e["name"].lower() else f"\n({unit_text})"
        ax.set_title(textwrap.fill(e["name"], 26) + unit_line, fontsize=8)
        if m.n_values == 0:
            ax.text(0.5, -0.04, dm.text("all_withheld", lang), transform=ax.transAxes, ha="center", fontsize=6.5)
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.02),
            fontsize=6.5,
            frameon=False,
            handlelength=1.6,
            handleheight=1.1,
        )
        factor, _, _ = display_scale(e["unit"])
        chart_rows.append(
            m.districts.select(
                pl.lit(f"{name}:{m.indicator_id}").alias("chart"),  # one CSV, the indicator per row
                pl.lit(m.city).alias("city"),
                pl.lit(m.group).alias("group_code"),
                pl.lit(m.period).alias("period"),
                pl.col("district_code").alias("x"),
                (pl.col("value") * factor).alias("value"),
                pl.lit(e["unit"]).alias("unit"),
                "numerator",
                "denominator",
            )
        )
    level = dm.text(f"level_{maps[0].level}", lang) if f"level_{maps[0].level}" in dm.TEXTS else maps[0].level
    fig.suptitle(f"{city_name} – {level}, {maps[0].period}", fontsize=10, y=0.99)
    footer = dm.text("source", lang)
    if data.synthetic:
        fig.text(0.5, 0.005, dm.text("synthetic", lang), ha="center", fontsize=7, color=SYNTHETIC_RED, weight="bold")
    fig.text(0.5, 0.035, textwrap.fill(footer, 150), ha="center", fontsize=5.5, color="#333333")
    fig.subplots_adjust(left=0.01, right=0.99, top=0.84, bottom=0.30, wspace=0.08)
    chart = pl.concat(chart_rows, how="diagonal_relaxed")
    caption = f"{city_name}: {', '.join(entry(data, m.indicator_id, lang)['name'] for m in maps)}, {maps[0].period}"
    return save_chart(
        fig, chart, out_dir, name, caption, footer + (f". {dm.text('synthetic', lang)}" if data.synthetic else "")
    )


def section(ctx) -> str:
    """The report's map section: an introduction, the classification, one figure per city."""
    lang, data = ctx.lang, ctx.data
    out = [f"# {dm.text('section', lang)}\n", dm.text("intro", lang, quarter=data.quarter) + "\n"]
    out.append(dm.text("classes", lang) + "\n")
    cells, geometry = dm.read_published(data.source_path, list(data.cities))
    if cells is None or geometry is None or geometry.is_empty():
        return "\n".join(out + [f"*{i18n.t('no_data', lang)}*\n"])
    cells = dm.with_derived(cells)
    delivering = set(geometry["city"].unique().to_list())
    notes = []
    for slug, city_name in data.cities.items():
        if slug not in delivering:
            notes.append(dm.text("no_geometry", lang, city=city_name))
            continue
        maps = [dm.district_map(cells, geometry, slug, data.quarter, i) for i in dm.REPORT_MAP_INDICATORS]
        maps = [m for m in maps if m is not None]
        if not maps:
            notes.append(dm.text("no_values", lang, city=city_name, quarter=data.quarter))
            continue
        name = f"map_{slug}"
        md = city_figure(data, maps, city_name, lang, ctx.fig_dir, name)
        ctx.charts.append(name)
        out.append(f"## {city_name}\n")
        out.append(md)
    out += [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"
