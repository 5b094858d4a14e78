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

from ingest.config import load_cities
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
    fixes: int = 0  # cells the report itself had to suppress
    charts: list[str] = field(default_factory=list)

    def write_build_info(self) -> None:
        """What the document was built from, read by the renderer into the manifest."""
        info = {
            "synthetic": self.data.synthetic,
            "source": self.data.source_path,
            "missing_cities": self.data.missing_cities,
            "report_suppressed_cells": self.fixes,
            "tables_present": {k: v is not None for k, v in self.data.frames.items()},
            "charts": self.charts,
        }
        (self.fig_dir.parent / "build_info.json").write_text(json.dumps(info, indent=2, default=str))


def make_context(
    alliance: str,
    quarter: str,
    lang: str,
    warehouse: str | None,
    build_dir: str,
    since: str | None = None,
    city: str = "",
) -> ReportContext:
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
    return ReportContext(
        data=data,
        lang=lang,
        fig_dir=fig_dir,
        ind=ind,
        fixes=fixes,
        since=dt.datetime.fromisoformat(since) if since else None,
    )


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
    if d.synthetic:  # raw blocks so that both HTML and PDF show a framed warning on the cover
        banner = i18n.t("synthetic_banner", lang)
        out += [
            "```{=html}",
            f'<div class="synthetic-banner"><strong>{banner}</strong></div>',
            "```",
            "",
            "```{=typst}",
            f'#block(stroke: 2pt + rgb("#b00020"), inset: 8pt, width: 100%)'
            f'[#text(fill: rgb("#b00020"), weight: "bold")[{banner}]]',
            "```",
            "",
        ]
    out.append(
        f"{i18n.t('alliance', lang)}: **{d.alliance}** ({', '.join(d.cities.values())}) · "
        f"{i18n.t('quarter', lang)}: **{d.quarter}** · {i18n.t('generated', lang)} "
        f"{dt.date.today().isoformat()}\n"
    )
    if d.missing_cities:
        out.append(f"**{i18n.t('blocked', lang)}:**\n")
        out += [
            f"- {d.cities[c]} {i18n.t('missing_city', lang)} – {i18n.t('reason', lang)}: {r}"
            for c, r in d.missing_cities
        ]
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
    return f'```{{=html}}\n<footer class="report-footer">{text}</footer>\n```\n'


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


# Groups in the tables of a topic (in this order) and the one group charted per indicator.
TABLE_GROUPS = ("INSGESAMT", "AUSL", "EU2", "ASYL8")
CHART_GROUP_PREFERENCE = ("EU2", "AUSL", "INSGESAMT")


def _indicator_block(ctx: ReportContext, indicator_id: str, groups: list[str], series: bool = True) -> list[str]:
    out = [f"## {catalogue_entry(ctx.data, indicator_id, ctx.lang)['name']}\n"]
    entry = catalogue_entry(ctx.data, indicator_id, ctx.lang)
    if entry["definition"]:
        out.append(f"{entry['definition']}\n")
    period = _latest_period(ctx, indicator_id)
    chart_groups = [g for g in CHART_GROUP_PREFERENCE if g in groups][:1] or groups[:1]
    for g in chart_groups:
        key = f"{indicator_id}_{g}".lower()
        if series:
            out.append(
                _fig(
                    ctx,
                    figures.time_series(ctx.ind, ctx.data, indicator_id, g, ctx.lang, ctx.fig_dir, f"ts_{key}"),
                    f"ts_{key}",
                )
            )
        out.append(
            _fig(
                ctx,
                figures.comparison_bars(
                    ctx.ind, ctx.data, indicator_id, g, ctx.lang, ctx.fig_dir, f"bar_{key}", period=period
                ),
                f"bar_{key}",
            )
        )
    table = tables.comparison_table(ctx.ind, ctx.data, indicator_id, ctx.lang, groups=groups, period=period)
    out.append(tables.balances(table) if entry["unit"] == "balance" else table)
    return out


def _latest_period(ctx: ReportContext, indicator_id: str) -> str:
    """The report quarter, or for yearly data (school census in Q4, housing) the latest quarter
    before it with a published value; the captions name the quarter shown."""
    sel = ctx.ind.filter(
        (pl.col("indicator_id") == indicator_id)
        & (pl.col("period") <= ctx.data.quarter)
        & pl.col("value").is_not_null()
    )
    if sel.is_empty() or ctx.data.quarter in set(sel["period"].to_list()):
        return ctx.data.quarter
    return sel["period"].max()


def _groups(ctx: ReportContext, indicator_id: str) -> list[str]:
    """The report's groups present for the indicator in its quarter (all nationality groups are in
    the published tables; the report shows the total, all foreigners and the two target groups)."""
    sel = ctx.ind.filter(
        (pl.col("indicator_id") == indicator_id) & (pl.col("period") == _latest_period(ctx, indicator_id))
    )
    present = {g for g in sel["group_code"].unique().to_list() if g is not None}
    return [g for g in TABLE_GROUPS if g in present] or sorted(present)[:1]


def topic_section(
    ctx: ReportContext, topic: str, heading_key: str, series: bool = True, notes: list[str] | None = None
) -> str:
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
        cohort = ret["arrival_year"].max() if "arrival_year" in ret.columns else None
        text += "\n" + _fig(
            ctx,
            figures.retention_curves(ret, ctx.data, ctx.lang, ctx.fig_dir, "km_retention", cohort=cohort),
            "km_retention",
        )
    return text


def concentration(ctx):
    return topic_section(ctx, "concentration", "sec_concentration")


def services(ctx):
    notes = [i18n.t("registration_rules", ctx.lang), *no_sgb2_notes(ctx)]
    return topic_section(ctx, "services", "sec_services", series=False, notes=notes)


def no_sgb2_notes(ctx) -> list[str]:
    """One note per country for the report's cities whose city file lists no `sgb2` source (the
    gap is marked, not filled); the reason is the country's (i18n `no_sgb2_why_<country>`)."""
    configs = load_cities()
    names: dict[str, list[str]] = {}
    for slug, name in ctx.data.cities.items():
        cfg = configs.get(slug)
        if cfg is not None and "sgb2" not in cfg.sources:
            names.setdefault(cfg.country, []).append(name)
    return [i18n.no_sgb2_note(cities, country, ctx.lang) for country, cities in sorted(names.items())]


DZ_GROUPS = ("EU2", "ASYL8")
DZ_AGE_BAND = "06-14"  # the stratum every method covers (school lists exist only for children)


def dunkelziffer(ctx):
    """Unregistered residents aged 6-14 of the EU-2 and asylum groups: every method's estimate
    with its 95 % interval (the recommended one marked), the methods' assumptions below."""
    lang = ctx.lang
    out = [f"# {i18n.t('sec_dunkelziffer', lang)}\n", i18n.t("dz_can", lang) + " " + i18n.t("dz_cannot", lang) + "\n"]
    est = ctx.data.frame("dunkelziffer")
    if est is None:
        return "\n".join(out + [_no_data(ctx)])
    est = est.filter(
        pl.col("city").is_in(list(ctx.data.cities))
        & (pl.col("quantity") == "unregistered")
        & pl.col("group_code").is_in(DZ_GROUPS)
        & (pl.col("age_band") == DZ_AGE_BAND)
    )
    shown = est.filter(~pl.col("is_suppressed") & pl.col("estimate").is_not_null())
    if shown.is_empty():
        return "\n".join(out + [_no_data(ctx)])
    out.append(
        f"{i18n.t('dz_stratum', lang)}: {', '.join(i18n.group_label(g, lang) for g in DZ_GROUPS)}, "
        f"{DZ_AGE_BAND} {i18n.t('years', lang)}; {i18n.t('reference_date', lang)} "
        f"{', '.join(sorted({str(d) for d in shown['stichtag'].to_list()}))}.\n"
    )
    rec = shown.filter(pl.col("is_recommended"))
    plot = rec.with_columns(
        method=pl.col("group_code").map_elements(lambda g: i18n.group_label(g, lang), return_dtype=pl.String)
    )
    out.append(_fig(ctx, figures.interval_plot(plot, ctx.data, lang, ctx.fig_dir, "dunkelziffer"), "dunkelziffer"))
    rows = []
    n_withheld = est.height - shown.height
    for r in shown.sort("city", "group_code", "method").iter_rows(named=True):
        sup = bool(r["is_suppressed"])
        interval = (
            i18n.MISSING
            if sup or r.get("ci_lower") is None
            else f"{i18n.fmt_number(r['ci_lower'], lang)} – {i18n.fmt_number(r.get('ci_upper'), lang)}"
        )
        rows.append(
            [
                ctx.data.cities[r["city"]],
                i18n.group_short(r["group_code"], lang),
                r["method"] + (" ✓" if r.get("is_recommended") else ""),
                i18n.SUPPRESSED if sup else i18n.fmt_number(r["estimate"], lang),
                interval,
                i18n.fmt_count(r.get("registered"), lang, suppressed=sup),
                "" if sup or not r.get("warnings") else "⚠",
            ]
        )
    headers = [i18n.t(k, lang) for k in ("city", "group", "method", "estimate", "interval", "registered", "flags")]
    out.append(
        tables.md_table(
            headers,
            rows,
            align="lllrrrl",
            caption=f"{i18n.t('sec_dunkelziffer', lang)}; ✓ {i18n.t('recommended', lang)}, "
            f"⚠ {i18n.t('with_warnings', lang)}",
        )
    )
    if n_withheld:
        out.append(f"{i18n.t('dz_withheld', lang).format(n=n_withheld)}\n")
    out.append(f"**{i18n.t('assumptions', lang)}**\n")
    for method, text in sorted({(r["method"], r.get("assumptions") or "") for r in shown.iter_rows(named=True)}):
        out.append(f"- `{method}`: {text}")
    return "\n".join(out) + "\n"


FLOW_KEYS = {
    "zuzuege": "flow_in",
    "fortzuege": "flow_out",
    "zuzuege_ausland": "flow_in_abroad",
    "fortzuege_ausland": "flow_out_abroad",
}


def register_vs_official(ctx):
    """Register and official migration counts side by side for the years where both exist;
    never summed, the difference explained, withheld register values shown as `*`."""
    lang = ctx.lang
    out = [f"# {i18n.t('sec_official', lang)}\n"]
    off = ctx.data.frame("official")
    if off is None:
        return "\n".join(out + [_no_data(ctx)])
    off = off.filter(pl.col("city").is_in(list(ctx.data.cities)))
    both = off.filter(pl.col("comparison_status") == "both").sort("city", "year", "flow")
    if both.is_empty():
        years = sorted({int(y) for y in off.filter(pl.col("comparison_status") == "register_only")["year"].to_list()})
        span = f"{years[0]}–{years[-1]}" if years else i18n.MISSING
        return "\n".join(out + [f"*{i18n.t('no_overlap', lang)} ({i18n.t('register_value', lang)}: {span}).*\n"])
    rows = []
    for r in both.iter_rows(named=True):
        sup = bool(r.get("is_suppressed"))
        rows.append(
            [
                ctx.data.cities[r["city"]],
                i18n.t(FLOW_KEYS.get(r["flow"], "flow_in"), lang),
                str(r["year"]),
                i18n.fmt_count(r.get("register_value"), lang, suppressed=sup),
                i18n.fmt_count(r.get("official_value"), lang),
                i18n.fmt_count(r.get("difference"), lang, signed=True, suppressed=sup),
            ]
        )
    headers = [
        i18n.t(k, lang) for k in ("city", "indicator", "period", "register_value", "official_value", "difference")
    ]
    out.append(tables.md_table(headers, rows, align="lllrrr", caption=i18n.t("sec_official", lang)))
    out.append(f"{both['explanation'].drop_nulls().first() or ''}\n")
    return "\n".join(out)


def quality(ctx):
    out = [f"# {i18n.t('sec_quality', ctx.lang)}\n", tables.quality_table(ctx.data, ctx.lang)]
    rev = tables.revisions_table(ctx.data, ctx.lang, ctx.since)
    out.append(rev or f"{i18n.t('revisions', ctx.lang)}: {i18n.t('none', ctx.lang)}.\n")
    if ctx.data.missing_cities:
        rows = [[ctx.data.cities[c], r] for c, r in ctx.data.missing_cities]
        out.append(
            tables.operational(
                tables.md_table(
                    [i18n.t("city", ctx.lang), i18n.t("reason", ctx.lang)],
                    rows,
                    align="ll",
                    caption=i18n.t("blocked", ctx.lang),
                )
            )
        )
    return "\n".join(out)


def methods(ctx):
    out = [f"# {i18n.t('sec_methods', ctx.lang)}\n"]
    cat = ctx.data.frame("catalogue")
    if cat is None:
        return "\n".join(out + [_no_data(ctx)])
    for iid in cat["indicator_id"].to_list():
        out.append(glossary_entry(catalogue_entry(ctx.data, iid, ctx.lang), iid, ctx.lang))
    return "\n".join(out)


def glossary_entry(e: dict, indicator_id: str, lang: str) -> str:
    """One indicator of the glossary: name, id and unit, definition, caveats, reading aid."""
    unit = f", {i18n.t('unit', lang)}: {e['unit_text']}" if e["unit_text"] else ""
    text = [f"**{e['name']}** (`{indicator_id}`{unit}): {e['definition']}"]
    for key in ("caveats", "reading_aid"):
        if e[key]:
            text.append(f"*{i18n.t(key, lang)}:* {e[key]}")
    return "  \n".join(text) + "\n"
