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
from reports.data import (
    SMALL_DENOMINATOR,
    CityGap,
    ReportData,
    bound_interval,
    catalogue_entry,
    indicators_for,
    load_report_data,
)
from reports.tables import keep_together

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
    # estimates whose interval left the logically possible range (shown bounded; for the methods' owners)
    bounded: list[dict] = field(default_factory=list)

    def blocked_for(self, indicator_id: str) -> set[str]:
        """Cities whose `indicator_id` is withheld by a quality check in the report's quarter."""
        if self.ind is None or "is_blocked" not in self.ind.columns:
            return set()
        rows = self.ind.filter(
            (pl.col("indicator_id") == indicator_id)
            & (pl.col("period") == self.data.quarter)
            & pl.col("is_blocked").fill_null(False)
        )
        return set(rows["city"].to_list())

    def write_build_info(self) -> None:
        """What the document was built from, read by the renderer into the manifest."""
        info = {
            "synthetic": self.data.synthetic,
            "source": self.data.source_path,
            "missing_cities": self.data.missing_cities,
            "partly_blocked_cities": self.data.partly_blocked,
            "intervals_bounded": self.bounded,
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
        if city not in data.members:
            raise ValueError(f"city {city!r} is not in alliance {alliance!r}")
        data.cities = {c: n for c, n in data.cities.items() if c == city}
        data.members = {city: data.members[city]}
        data.gaps = [g for g in data.gaps if g.city == city]
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
        f"{i18n.t('alliance', lang)}: **{d.alliance}** ({', '.join(d.members.values() or d.cities.values())}) · "
        f"{i18n.t('quarter', lang)}: **{d.quarter}** · {i18n.t('generated', lang)} "
        f"{dt.date.today().isoformat()}\n"
    )
    if d.synthetic and (size := demo_size(ctx)):
        out.append(f"**{size}**\n")
    for kind_keys, heading in ((("no_data", "all_blocked"), "blocked"), (("partly_blocked",), "partly_blocked")):
        gaps = [g for g in d.gaps if g.kind in kind_keys]
        if gaps:
            out.append(f"**{i18n.t(heading, lang)}:**\n")
            out += [f"- {d.name(g.city)}: {gap_reason(g, d.quarter, lang)}" for g in gaps]
            out.append("")
    legend = f"{i18n.t('legend_text', lang)} {i18n.t('small_base_legend', lang).format(n=SMALL_DENOMINATOR)}"
    out.append(f"{i18n.t('legend', lang)}: {legend} {i18n.t('not_summed', lang)}\n")
    return "\n".join(out)


def demo_size(ctx: ReportContext) -> str | None:
    """How small the demo world is, from the registered population the report shows."""
    if ctx.ind is None:
        return None
    pop = ctx.ind.filter(
        (pl.col("indicator_id") == "population")
        & (pl.col("group_code") == "INSGESAMT")
        & (pl.col("period") == ctx.data.quarter)
        & pl.col("value").is_not_null()
    ).sort("value")
    if pop.is_empty():
        return None
    low, high = pop.row(0, named=True), pop.row(-1, named=True)
    lang = ctx.lang
    return i18n.t("demo_size", lang).format(
        total=i18n.fmt_count(pop["value"].sum(), lang),
        n=pop.height,
        low=i18n.fmt_count(low["value"], lang),
        low_city=ctx.data.name(low["city"]),
        high=i18n.fmt_count(high["value"], lang),
        high_city=ctx.data.name(high["city"]),
    )


def gap_reason(gap: CityGap, quarter: str, lang: str) -> str:
    """Why a city is missing or partly blocked, in the report's language (the check's name is an
    identifier and stays as it is; the checks' own English messages are not shown)."""
    details = []
    for b in gap.blocks:
        source = i18n.source_name(b.source, lang)
        if b.period or b.check:
            details.append(
                i18n.t("block_detail", lang).format(source=source, period=b.period or quarter, check=f"`{b.check}`")
            )
        else:
            details.append(i18n.t("block_detail_source", lang).format(source=source))
    text = "; ".join(dict.fromkeys(details))
    key = {"no_data": "reason_no_data", "all_blocked": "reason_all_blocked"}.get(gap.kind, "reason_partly_blocked")
    return i18n.t(key, lang).format(quarter=quarter, details=text)


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
    out = [keep_together("\n".join(out + [tables.summary_table(ctx.ind, ctx.data, ctx.lang, stock)]))]
    notable = [f"**{i18n.t('notable', ctx.lang)}**\n"]
    for slug, sentences in tables.notable_movements(ctx.ind, ctx.data, ctx.lang).items():
        text = " ".join(sentences) if sentences else f"{ctx.data.name(slug)}: {i18n.t('no_movements', ctx.lang)}"
        notable.append(f"- {text}")
    return "\n".join([*out, keep_together("\n".join(notable) + "\n")]) + "\n"


# Groups in the tables of a topic (in this order) and the one group charted per indicator.
TABLE_GROUPS = ("INSGESAMT", "AUSL", "EU2", "ASYL8")
CHART_GROUP_PREFERENCE = ("EU2", "AUSL", "INSGESAMT")


def _indicator_block(
    ctx: ReportContext, indicator_id: str, groups: list[str], series: bool = True, lead: list[str] | None = None
) -> list[str]:
    """Heading, definition, charts and table of one indicator. The heading (with `lead`, the
    section's own heading and notes) stays on one page with its text and first chart; a chart
    that would show nothing is replaced by a sentence that says why."""
    lang = ctx.lang
    entry = catalogue_entry(ctx.data, indicator_id, lang)
    head = [*(lead or []), f"## {entry['name']}\n"]
    if entry["definition"]:
        head.append(f"{entry['definition']}\n")
    period = _latest_period(ctx, indicator_id)
    # the first preferred group that has something to compare (SGB II of EU-2 citizens is mostly
    # withheld in small cities; the total then still makes a chart)
    candidates = [g for g in CHART_GROUP_PREFERENCE if g in groups] or groups[:1]
    g = next(
        (c for c in candidates if not figures.bars_gap(ctx.ind, ctx.data, indicator_id, c, lang, period)),
        candidates[0] if candidates else None,
    )
    parts: list[str] = []
    if g is not None:
        key = f"{indicator_id}_{g}".lower()
        if series:
            ts = figures.time_series(ctx.ind, ctx.data, indicator_id, g, lang, ctx.fig_dir, f"ts_{key}")
            parts.append(
                _fig(ctx, ts, f"ts_{key}") or _gap(figures.series_gap(ctx.ind, ctx.data, indicator_id, g, lang))
            )
        bar = figures.comparison_bars(
            ctx.ind, ctx.data, indicator_id, g, lang, ctx.fig_dir, f"bar_{key}", period=period
        )
        parts.append(
            _fig(ctx, bar, f"bar_{key}") or _gap(figures.bars_gap(ctx.ind, ctx.data, indicator_id, g, lang, period))
        )
    parts = [p for p in parts if p]
    out = [keep_together("\n".join(head + parts[:1]))] + parts[1:]
    table = tables.comparison_table(ctx.ind, ctx.data, indicator_id, lang, groups=groups, period=period)
    table = tables.balances(table) if entry["unit"] == "balance" else table
    out.append(keep_together(table) if tables.table_rows(table) <= tables.KEEP_ROWS else table)
    return out


def _gap(sentence: str | None) -> str:
    return f"*{sentence}*\n" if sentence else ""


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
    lead = [f"# {i18n.t(heading_key, ctx.lang)}\n", *(f"{n}\n" for n in notes or [])]
    ids = indicators_for(ctx.data, topic) if ctx.ind is not None else []
    if not ids:
        return keep_together("\n".join(lead + [_no_data(ctx)]))
    out: list[str] = []
    for i, indicator_id in enumerate(ids):
        out += _indicator_block(ctx, indicator_id, _groups(ctx, indicator_id), series, lead=lead if i == 0 else None)
    return "\n".join(out)


def flows(ctx):
    return topic_section(ctx, "flows", "sec_flows", notes=[i18n.t("source_register", ctx.lang) + "."])


def dwell(ctx):
    text = topic_section(ctx, "dwell", "sec_dwell", series=False)
    ret = ctx.data.frame("retention")
    if ret is not None:
        cohort = ret["arrival_year"].max() if "arrival_year" in ret.columns else None
        # a city whose register is withheld in the quarter is withheld from the curves, too
        blocked = ctx.blocked_for("retention_12m") | ctx.blocked_for("retention_36m")
        km = figures.retention_curves(ret, ctx.data, ctx.lang, ctx.fig_dir, "km_retention", cohort, blocked)
        text += "\n" + keep_together(_fig(ctx, km, "km_retention") or _no_data(ctx))
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
    with its 95 % interval (the recommended one marked), the methods' assumptions below.

    An interval is shown within what is logically possible (a count is >= 0; registered but gone
    <= registered) and marked where the method's own interval reaches beyond it; a city whose
    estimate is withheld by a quality check in the quarter is left out and named."""
    lang = ctx.lang
    lead = [f"# {i18n.t('sec_dunkelziffer', lang)}\n", i18n.t("dz_can", lang) + " " + i18n.t("dz_cannot", lang) + "\n"]
    est = ctx.data.frame("dunkelziffer")
    if est is None:
        return keep_together("\n".join(lead + [_no_data(ctx)]))
    blocked = ctx.blocked_for("unregistered_estimate")
    est = est.filter(
        pl.col("city").is_in([c for c in ctx.data.cities if c not in blocked])
        & (pl.col("quantity") == "unregistered")
        & pl.col("group_code").is_in(DZ_GROUPS)
        & (pl.col("age_band") == DZ_AGE_BAND)
    )
    shown = est.filter(~pl.col("is_suppressed") & pl.col("estimate").is_not_null())
    without = figures.without_note(sorted(ctx.data.name(c) for c in blocked if c in ctx.data.cities), lang)
    if shown.is_empty():
        return keep_together("\n".join(lead + [_no_data(ctx) + without]))
    shown = _bounded_estimates(ctx, shown)
    lead.append(
        f"{i18n.t('dz_stratum', lang)}: {', '.join(i18n.group_label(g, lang) for g in DZ_GROUPS)}, "
        f"{DZ_AGE_BAND} {i18n.t('years', lang)}; {i18n.t('reference_date', lang)} "
        f"{', '.join(sorted({str(d) for d in shown['stichtag'].to_list()}))}.\n"
    )
    rec = shown.filter(pl.col("is_recommended"))
    plot = rec.with_columns(
        method=pl.col("group_code").map_elements(lambda g: i18n.group_label(g, lang), return_dtype=pl.String)
    )
    chart = _fig(ctx, figures.interval_plot(plot, ctx.data, lang, ctx.fig_dir, "dunkelziffer", without), "dunkelziffer")
    out = [keep_together("\n".join(lead + [chart]))]
    rows = []
    n_withheld = est.height - shown.height
    for r in shown.sort("city", "group_code", "method").iter_rows(named=True):
        interval = i18n.MISSING
        if r.get("lower") is not None:
            interval = f"{i18n.fmt_number(r['lower'], lang)} – {i18n.fmt_number(r.get('upper'), lang)}"
            interval += f" {tables.BOUNDED}" if r["bounded"] else ""
        marks = (" ✓" if r.get("is_recommended") else "") + (" ⚠" if r.get("warnings") else "")
        rows.append(
            [
                tables.city_cell(ctx.data.name(r["city"])),
                i18n.group_short(r["group_code"], lang),
                i18n.method_label(r["method"], lang) + marks,
                i18n.fmt_number(r["point"], lang) + (f" {tables.BOUNDED}" if r["point_bounded"] else ""),
                interval,
                i18n.fmt_count(r.get("registered"), lang),
            ]
        )
    headers = [i18n.t(k, lang) for k in ("city", "group", "method", "estimate", "interval", "registered")]
    table = tables.md_table(
        headers,
        rows,
        align="lllrrr",
        caption=f"{i18n.t('sec_dunkelziffer', lang)}; ✓ {i18n.t('recommended', lang)}, "
        f"⚠ {i18n.t('with_warnings', lang)}",
    )
    out.append(table + tables.table_notes(table, lang))
    if n_withheld:
        out.append(f"{i18n.t('dz_withheld', lang).format(n=n_withheld)}\n")
    out.append(f"**{i18n.t('assumptions', lang)}**\n")
    for method in sorted(set(shown["method"].to_list())):
        out.append(f"- {i18n.method_label(method, lang)}: {i18n.method_assumptions(method, lang)}")
    return "\n".join(out) + "\n"


def _bounded_estimates(ctx: ReportContext, est: pl.DataFrame) -> pl.DataFrame:
    """`lower`/`upper`: the method's interval within the logically possible range of its quantity
    (a count >= 0; registered but gone <= registered), `bounded` where it reached beyond; every
    such case is recorded in the build information for the methods' owners."""
    lowers, uppers, cut, points, point_cut = [], [], [], [], []
    for r in est.iter_rows(named=True):
        ceiling = r.get("registered") if r.get("quantity") == "registered_gone" else None
        lo, hi, was_cut = bound_interval(r.get("ci_lower"), r.get("ci_upper"), 0.0, ceiling)
        point, _same, point_was_cut = bound_interval(r.get("estimate"), r.get("estimate"), 0.0, ceiling)
        lowers.append(lo)
        uppers.append(hi)
        cut.append(was_cut)
        points.append(point)
        point_cut.append(point_was_cut)
        if was_cut or point_was_cut:
            keys = ("city", "group_code", "age_band", "quantity", "method", "estimate", "ci_lower", "ci_upper")
            ctx.bounded.append({k: r.get(k) for k in keys})
    return est.with_columns(
        lower=pl.Series(lowers, dtype=pl.Float64),
        upper=pl.Series(uppers, dtype=pl.Float64),
        bounded=pl.Series(cut, dtype=pl.Boolean),
        point=pl.Series(points, dtype=pl.Float64),
        point_bounded=pl.Series(point_cut, dtype=pl.Boolean),
    )


FLOW_KEYS = {
    "zuzuege": "flow_in",
    "fortzuege": "flow_out",
    "zuzuege_ausland": "flow_in_abroad",
    "fortzuege_ausland": "flow_out_abroad",
}


RVO_FACTOR = 2  # register and official further apart than this are not compared (different definitions or worlds)


def register_vs_official(ctx):
    """Register and official migration counts side by side for each city's latest year with both;
    never summed, the difference explained (in the report's language), withheld register values
    shown as `*`. Two values more than RVO_FACTOR apart are shown but not compared (flag n): that is
    a difference of definitions or of populations, not a finding."""
    lang = ctx.lang
    out = [f"# {i18n.t('sec_official', lang)}\n"]  # kept with the table below
    off = ctx.data.frame("official")
    if off is None:
        return keep_together("\n".join(out + [_no_data(ctx)]))
    off = off.filter(pl.col("city").is_in(list(ctx.data.cities)))
    blocked_years = {
        (g.city, int(b.period[:4]))
        for g in ctx.data.gaps
        for b in g.blocks
        if b.source == "meldewesen" and b.period and b.period[:4].isdigit()
    }
    both = off.filter(pl.col("comparison_status") == "both")
    both = both.filter(
        ~pl.struct("city", "year").map_elements(
            lambda r: (r["city"], int(r["year"])) in blocked_years, return_dtype=pl.Boolean
        )
    )
    if both.is_empty():
        years = sorted({int(y) for y in off.filter(pl.col("comparison_status") == "register_only")["year"].to_list()})
        span = f"{years[0]}–{years[-1]}" if years else i18n.MISSING
        text = f"*{i18n.t('no_overlap', lang)} ({i18n.t('register_value', lang)}: {span}).*\n"
        return keep_together("\n".join(out + [text]))
    latest = both.group_by("city").agg(pl.col("year").max().alias("_latest"))
    both = both.join(latest, on="city").filter(pl.col("year") == pl.col("_latest"))
    order = {f: i for i, f in enumerate(FLOW_KEYS)}
    rows, apart = [], False
    for r in sorted(both.iter_rows(named=True), key=lambda r: (ctx.data.name(r["city"]), order.get(r["flow"], 9))):
        sup = bool(r.get("is_suppressed"))
        ratio = r.get("ratio_register_to_official")
        far = not sup and ratio is not None and not (1 / RVO_FACTOR <= ratio <= RVO_FACTOR)
        apart |= far
        rows.append(
            [
                tables.city_cell(ctx.data.name(r["city"])),
                i18n.t(FLOW_KEYS.get(r["flow"], "flow_in"), lang).replace(" ", "\u00a0"),
                str(r["year"]),
                i18n.fmt_count(r.get("register_value"), lang, suppressed=sup),
                i18n.fmt_count(r.get("official_value"), lang),
                i18n.SUPPRESSED
                if sup
                else f"{i18n.MISSING} n"
                if far
                else i18n.MISSING
                if ratio is None
                else _relative(ratio, lang),
            ]
        )
    headers = [i18n.t(k, lang) for k in ("city", "indicator", "period", "register_value", "official_value")]
    headers.append(i18n.t("difference_pct", lang))
    years = sorted(set(both["year"].to_list()))
    caption, align = i18n.t("sec_official", lang), "lllrrr"
    if len(years) == 1:  # one year for every city: in the caption, not in a column
        headers, rows, align = headers[:2] + headers[3:], [r[:2] + r[3:] for r in rows], "llrrr"
        caption += f", {years[0]}"
    table = tables.md_table(headers, rows, align=align, caption=caption)
    if tables.table_rows(table) <= tables.KEEP_ROWS:
        out = [keep_together(out.pop() + "\n" + table)]
    else:
        out.append(table)
    notes = [i18n.t("rvo_both", lang)]
    if ctx.data.synthetic:
        notes.append(i18n.t("rvo_synthetic", lang))
    notes.append(i18n.t("rvo_latest_year", lang).format(year=", ".join(str(y) for y in years)))
    if apart:
        notes.append(i18n.t("rvo_not_comparable", lang).format(factor=RVO_FACTOR))
    out += [f"{n}\n" for n in notes]
    return "\n".join(out)


def _relative(ratio: float, lang: str) -> str:
    """Register against official as a relative difference: a bare difference of 1 or 2 would read
    as a count of persons (and the output scan refuses it), although both values are published."""
    return tables.format_value(100 * (ratio - 1), "percent", lang, signed=True)


def quality(ctx):
    lang = ctx.lang
    head = f"# {i18n.t('sec_quality', lang)}\n"
    out = [keep_together(head + "\n" + tables.quality_table(ctx.data, lang))]
    rev = tables.revisions_table(ctx.data, lang, ctx.since)
    if rev and tables.table_rows(rev) <= tables.KEEP_ROWS:
        rev = keep_together(rev)
    out.append(rev or f"{i18n.t('revisions', lang)}: {i18n.t('none', lang)}.\n")
    decisions = gate_decisions_table(ctx.data, lang)
    if decisions:
        out.append(decisions)
    if ctx.data.gaps:
        rows = [[tables.city_cell(ctx.data.name(g.city)), gap_reason(g, ctx.data.quarter, lang)] for g in ctx.data.gaps]
        out.append(
            tables.operational(
                tables.md_table(
                    [i18n.t("city", lang), i18n.t("reason", lang)],
                    rows,
                    align="ll",
                    caption=i18n.t("blocked", lang),
                )
            )
        )
    return "\n".join(out)


def gate_decisions_table(data, lang: str) -> str | None:
    """Releases and rejections of blocked deliveries of the alliance's cities (publication.gate_decisions,
    quality.decisions): which delivery, what was decided, by whom, when and why; newest first."""
    frame = data.frame("gate_decisions")
    if frame is None or frame.is_empty():
        return None
    frame = frame.filter(pl.col("city").is_in(list(data.members))).sort("decided_at", descending=True)
    if frame.is_empty():
        return None
    rows = []
    for d in frame.iter_rows(named=True):
        source = d["source"] + (f"/{d['form']}" if d.get("form") else "")
        rows.append(
            [
                tables.city_cell(data.name(d["city"])),
                f"{source} {d['period']}",
                i18n.t(d["decision"], lang),
                d["decided_by"],
                f"{d['decided_at']:%Y-%m-%d}",
                d["reason"],
            ]
        )
    headers = ["city", "delivery", "decision", "decided_by", "decided_at", "reason"]
    return tables.operational(
        tables.md_table(
            [i18n.t(h, lang) for h in headers], rows, align="llllll", caption=i18n.t("gate_decisions", lang)
        )
    )


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
