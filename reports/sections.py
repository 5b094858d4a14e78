"""The sections of the quarterly report as Markdown, so that the .qmd cells stay one line each.

`ReportContext` is built once per document from the parameters; every section function returns
Markdown (headings, tables, figure links, raw blocks for HTML and Typst).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from reports import figures, i18n, tables
from reports.data import ReportData, catalogue_entry, indicators_for, load_report_data

FIG_DIR_NAME = "figures"


@dataclass
class ReportContext:
    data: ReportData
    lang: str
    fig_dir: Path
    ind: pl.DataFrame | None
    since: dt.datetime | None = None
    fixes: int = 0                                  # cells the report itself had to suppress
    charts: list[str] = field(default_factory=list)

    def write_build_info(self) -> None:
        """What the document was built from, read by the renderer into the manifest."""
        info = {"synthetic": self.data.synthetic, "source": self.data.source_path,
                "missing_cities": self.data.missing_cities, "report_suppressed_cells": self.fixes,
                "tables_present": {k: v is not None for k, v in self.data.frames.items()},
                "charts": self.charts}
        (self.fig_dir.parent / "build_info.json").write_text(json.dumps(info, indent=2, default=str))


def make_context(alliance: str, quarter: str, lang: str, warehouse: str | None, build_dir: str,
                 since: str | None = None, city: str = "") -> ReportContext:
    """Read the data once; with `city`, the report covers that city only (city profile)."""
    i18n.check_language(lang)
    data = load_report_data(alliance, quarter, warehouse or None)
    if city:
        if city not in data.cities:
            raise ValueError(f"city {city!r} is not in alliance {alliance!r}")
        data.cities = {city: data.cities[city]}
        data.missing_cities = [(c, r) for c, r in data.missing_cities if c == city]
    ind, fixes = tables.guarded_indicators(data)
    fig_dir = Path(build_dir) / FIG_DIR_NAME
    fig_dir.mkdir(parents=True, exist_ok=True)
    return ReportContext(data=data, lang=lang, fig_dir=fig_dir, ind=ind, fixes=fixes,
                         since=dt.datetime.fromisoformat(since) if since else None)


def _fig(ctx: ReportContext, md: str | None, name: str) -> str:
    if md:
        ctx.charts.append(name)
    return md or ""


def _no_data(ctx) -> str:
    return f"*{i18n.t('no_data', ctx.lang)}*\n"


def cover(ctx: ReportContext) -> str:
    """Synthetic-data banner, alliance, quarter, missing cities and the legend of symbols.

    The PDF page footer is set by the renderer (`page_footer`), since Typst must know it before
    the first page."""
    lang, d = ctx.lang, ctx.data
    out: list[str] = []
    if d.synthetic:   # raw blocks so that both HTML and PDF show a framed warning on the cover
        banner = i18n.t("synthetic_banner", lang)
        out += ["```{=html}", f'<div class="synthetic-banner"><strong>{banner}</strong></div>', "```", "",
                "```{=typst}", f'#block(stroke: 2pt + rgb("#b00020"), inset: 8pt, width: 100%)'
                               f'[#text(fill: rgb("#b00020"), weight: "bold")[{banner}]]', "```", ""]
    out.append(f"{i18n.t('alliance', lang)}: **{d.alliance}** ({', '.join(d.cities.values())}) · "
               f"{i18n.t('quarter', lang)}: **{d.quarter}** · {i18n.t('generated', lang)} "
               f"{dt.date.today().isoformat()}\n")
    if d.missing_cities:
        out.append(f"**{i18n.t('blocked', lang)}:**\n")
        out += [f"- {d.cities[c]} {i18n.t('missing_city', lang)} – {i18n.t('reason', lang)}: {r}"
                for c, r in d.missing_cities]
        out.append("")
    out.append(f"{i18n.t('legend', lang)}: {i18n.t('legend_text', lang)} {i18n.t('not_summed', lang)}\n")
    return "\n".join(out)


def page_footer_text(title: str, alliance: str, quarter: str, lang: str, synthetic: bool) -> str:
    text = f"{title} · {alliance} · {quarter}"
    return (i18n.t("synthetic_footer", lang) + " · " + text) if synthetic else text


def footer(ctx: ReportContext) -> str:
    ctx.write_build_info()
    text = f"{i18n.t('title', ctx.lang)} · {ctx.data.alliance} · {ctx.data.quarter}"
    if ctx.data.synthetic:
        text = f"<strong>{i18n.t('synthetic_footer', ctx.lang)}</strong> · {text}"
    return f"```{{=html}}\n<footer class=\"report-footer\">{text}</footer>\n```\n"


def summary(ctx: ReportContext) -> str:
    out = [f"# {i18n.t('sec_summary', ctx.lang)}\n"]
    if ctx.ind is None or not indicators_for(ctx.data, "stock"):
        return "\n".join(out + [_no_data(ctx)])
    stock = indicators_for(ctx.data, "stock")[0]
    out.append(tables.summary_table(ctx.ind, ctx.data, ctx.lang, stock))
    out.append(f"**{i18n.t('notable', ctx.lang)}**\n")
    for slug, sentences in tables.notable_movements(ctx.ind, ctx.data, ctx.lang).items():
        if slug in dict(ctx.data.missing_cities):
            continue
        text = " ".join(sentences) if sentences else f"{ctx.data.cities[slug]}: {i18n.t('no_movements', ctx.lang)}"
        out.append(f"- {text}")
    return "\n".join(out) + "\n"


def _indicator_block(ctx: ReportContext, indicator_id: str, groups: list[str], series: bool = True) -> list[str]:
    out = [f"## {catalogue_entry(ctx.data, indicator_id, ctx.lang)['name']}\n"]
    entry = catalogue_entry(ctx.data, indicator_id, ctx.lang)
    if entry["definition"]:
        out.append(f"{entry['definition']}\n")
    for g in groups:
        key = f"{indicator_id}_{g}".lower()
        if series:
            out.append(_fig(ctx, figures.time_series(ctx.ind, ctx.data, indicator_id, g, ctx.lang, ctx.fig_dir,
                                                     f"ts_{key}"), f"ts_{key}"))
        out.append(_fig(ctx, figures.comparison_bars(ctx.ind, ctx.data, indicator_id, g, ctx.lang, ctx.fig_dir,
                                                     f"bar_{key}"), f"bar_{key}"))
    out.append(tables.comparison_table(ctx.ind, ctx.data, indicator_id, ctx.lang))
    return out


def _groups(ctx: ReportContext, indicator_id: str) -> list[str]:
    sel = ctx.ind.filter((pl.col("indicator_id") == indicator_id) & (pl.col("period") == ctx.data.quarter))
    return sorted(g for g in sel["group_code"].unique().to_list() if g is not None)


def topic_section(ctx: ReportContext, topic: str, heading_key: str, series: bool = True,
                  notes: list[str] | None = None) -> str:
    out = [f"# {i18n.t(heading_key, ctx.lang)}\n"]
    ids = indicators_for(ctx.data, topic) if ctx.ind is not None else []
    out += [f"{n}\n" for n in notes or []]
    if not ids:
        return "\n".join(out + [_no_data(ctx)])
    for indicator_id in ids:
        out += _indicator_block(ctx, indicator_id, _groups(ctx, indicator_id), series)
    return "\n".join(out)


def flows(ctx):
    return topic_section(ctx, "flows", "sec_flows", notes=[i18n.t("source_register", ctx.lang) + "."])


def dwell(ctx):
    text = topic_section(ctx, "dwell", "sec_dwell", series=False)
    ret = ctx.data.frame("retention")
    if ret is not None:
        text += "\n" + _fig(ctx, figures.retention_curves(ret, ctx.data, ctx.lang, ctx.fig_dir, "km_retention"),
                            "km_retention")
    return text


def concentration(ctx):
    return topic_section(ctx, "concentration", "sec_concentration")


def services(ctx):
    notes = [i18n.t("registration_rules", ctx.lang)]
    if any(c == "enschede" for c in ctx.data.cities):
        notes.append(i18n.t("no_sgb2_nl", ctx.lang))
    return topic_section(ctx, "services", "sec_services", series=False, notes=notes)


def dunkelziffer(ctx):
    out = [f"# {i18n.t('sec_dunkelziffer', ctx.lang)}\n", i18n.t("dz_can", ctx.lang) + " " + i18n.t("dz_cannot", ctx.lang) + "\n"]
    est = ctx.data.frame("dunkelziffer")
    if est is None:
        return "\n".join(out + [_no_data(ctx)])
    est = est.filter(pl.col("city").is_in(list(ctx.data.cities)))
    if "period" in est.columns:
        est = est.filter(pl.col("period") == ctx.data.quarter)
    out.append(_fig(ctx, figures.interval_plot(est, ctx.data, ctx.lang, ctx.fig_dir, "dunkelziffer"), "dunkelziffer"))
    lang = ctx.lang
    rows = [[ctx.data.cities[r["city"]], r["method"], i18n.fmt_number(r["estimate"], lang),
             f"{i18n.fmt_number(r.get('ci_lower'), lang)} – {i18n.fmt_number(r.get('ci_upper'), lang)}",
             r.get("assumptions") or ""] for r in est.sort("city", "method").iter_rows(named=True)]
    headers = [i18n.t(k, lang) for k in ("city", "method", "estimate", "interval", "assumptions")]
    out.append(tables.md_table(headers, rows, align="llrrl", caption=i18n.t("sec_dunkelziffer", lang)))
    return "\n".join(out)


def register_vs_official(ctx):
    out = [f"# {i18n.t('sec_official', ctx.lang)}\n"]
    off = ctx.data.frame("official")
    if off is None:
        return "\n".join(out + [_no_data(ctx)])
    lang = ctx.lang
    off = off.filter(pl.col("city").is_in(list(ctx.data.cities))).sort("indicator_id", "city", "period")
    rows = []
    for r in off.iter_rows(named=True):
        rounded = bool(r.get("official_rounding"))
        diff = None if rounded or r.get("official_value") is None or r.get("register_value") is None \
            else r["register_value"] - r["official_value"]
        official = i18n.fmt_count(r.get("official_value"), lang)
        if rounded:   # shown as published, marked, never "un-rounded" or differenced
            official = f"{official} ({r['official_rounding']})"
        rows.append([ctx.data.cities[r["city"]], catalogue_entry(ctx.data, r["indicator_id"], lang)["name"],
                     str(r["period"]), i18n.fmt_count(r.get("register_value"), lang), official,
                     i18n.fmt_count(diff, lang, signed=True)])
    headers = [i18n.t(k, lang) for k in ("city", "indicator", "period", "register_value", "official_value", "difference")]
    out.append(tables.md_table(headers, rows, align="lllrrr", caption=i18n.t("sec_official", lang)))
    return "\n".join(out)


def quality(ctx):
    out = [f"# {i18n.t('sec_quality', ctx.lang)}\n", tables.quality_table(ctx.data, ctx.lang)]
    rev = tables.revisions_table(ctx.data, ctx.lang, ctx.since)
    out.append(rev or f"{i18n.t('revisions', ctx.lang)}: {i18n.t('none', ctx.lang)}.\n")
    if ctx.data.missing_cities:
        rows = [[ctx.data.cities[c], r] for c, r in ctx.data.missing_cities]
        out.append(tables.operational(tables.md_table([i18n.t("city", ctx.lang), i18n.t("reason", ctx.lang)],
                                                      rows, align="ll", caption=i18n.t("blocked", ctx.lang))))
    return "\n".join(out)


def methods(ctx):
    out = [f"# {i18n.t('sec_methods', ctx.lang)}\n"]
    cat = ctx.data.frame("catalogue")
    if cat is None:
        return "\n".join(out + [_no_data(ctx)])
    for iid in cat["indicator_id"].to_list():
        e = catalogue_entry(ctx.data, iid, ctx.lang)
        out.append(f"**{e['name']}** (`{iid}`{', ' + e['unit'] if e['unit'] else ''}): {e['definition']}\n")
    return "\n".join(out)
