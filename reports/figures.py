"""Charts of the report (matplotlib, Agg): PNG for the documents plus the plotted data as CSV.

The CSV beside each PNG is what the disclosure scan reads (and what a reader can reuse);
suppressed points are not plotted and appear in the CSV without a value.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from reports import i18n  # noqa: E402
from reports.data import (  # noqa: E402
    SMALL_DENOMINATOR,
    ReportData,
    bound_interval,
    catalogue_entry,
    is_small_base,
    logical_range,
)

CHART_COLUMNS = [
    "chart",
    "city",
    "group_code",
    "period",
    "x",
    "value",
    "ci_lower",
    "ci_upper",
    "unit",
    "numerator",
    "denominator",
]
SERIES_QUARTERS = 12
plt.rcParams.update(
    {"font.size": 9, "axes.titlesize": 10, "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 110}
)


def _axis_formatter(lang: str, decimals: int = 0) -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: i18n.fmt_number(v, lang, decimals))


def _axis_decimals(unit: str) -> int:
    return {"count": 0, "persons": 0, "balance": 0, "index": 2, "ratio": 2}.get(unit, 1)


def _unit_label(unit: str, lang: str) -> str:
    return {
        "percent": i18n.t("share_pct", lang),
        "per_1000": i18n.t("per_1000", lang),
        "years": i18n.t("years", lang),
        "count": i18n.t("unit_count", lang),
        "persons": i18n.t("unit_persons", lang),
        "index": i18n.t("unit_index", lang),
        "balance": i18n.t("unit_count", lang),
        "ratio": "",
    }.get(unit, unit)


def save_chart(fig, chart: pl.DataFrame, out_dir: Path, name: str, caption: str, source: str) -> str:
    """Write `<name>.png` and `<name>.csv`; return the Markdown that shows the figure."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_dir / f"{name}.png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    for col in CHART_COLUMNS:
        if col not in chart.columns:
            chart = chart.with_columns(pl.lit(None).alias(col))
    # rows in a fixed order (the key columns first): the same chart data whatever order the
    # warehouse returned its rows in (DuckDB's own tables or those imported from Spark)
    chart = chart.select(CHART_COLUMNS).sort(CHART_COLUMNS, nulls_last=True, maintain_order=True)
    chart.with_columns(pl.all().cast(pl.String)).write_csv(out_dir / f"{name}.csv")
    # The source goes into the caption: readable in both formats and never over the axes.
    return f"![{caption}. {source}]({out_dir.name}/{name}.png){{width=100%}}\n"


def source_caption(entry: dict, lang: str, basis: str | None = None) -> str:
    """The caption's source line from the indicator's catalogue entry (its `source` codes and
    basis): schools, housing, counselling and estimates name their own sources, not always the
    register."""
    basis = basis or entry.get("basis") or "register"
    if basis == "official" or entry.get("sources") == ["official tables"]:
        return i18n.t("source_official", lang)
    if not entry.get("sources"):
        return i18n.t("source_register", lang)
    names = i18n.source_names(entry["sources"], lang)
    if entry.get("unit") == "estimate" or entry.get("topic") == "dunkelziffer":
        return i18n.t("source_estimate", lang).format(sources=names)
    return i18n.t("source_text", lang).format(sources=names, basis=i18n.t(f"basis_{basis}", lang))


def _published(sel: pl.DataFrame) -> pl.DataFrame:
    return sel.filter(~pl.col("is_suppressed").fill_null(False) & pl.col("value").is_not_null())


def why_no_chart(
    shown: pl.DataFrame, data: ReportData, unit: str, period: str, lang: str, single_ok: bool
) -> str | None:
    """The sentence that replaces a chart that would show nothing: no published value, only zeros,
    or (for a comparison) a single city - an empty axis or a lone bar explains nothing."""
    from reports.tables import format_value

    if shown.is_empty():
        return i18n.t("no_chart_withheld", lang).format(period=period)
    if (shown["value"].abs() == 0).all():
        return i18n.t("no_chart_zero", lang).format(period=period)
    if not single_ok and shown["city"].n_unique() == 1:
        r = shown.row(0, named=True)
        return i18n.t("no_chart_single", lang).format(
            city=data.name(r["city"]),
            period=period,
            value=format_value(r["value"], unit, lang),
        )
    return None


def _blocked_cities(sel: pl.DataFrame, data: ReportData) -> list[str]:
    if "is_blocked" not in sel.columns:
        return []
    return sorted({data.name(c) for c in sel.filter(pl.col("is_blocked").fill_null(False))["city"].to_list()})


def without_note(names: list[str], lang: str) -> str:
    return (" " + i18n.t("chart_without", lang).format(cities=", ".join(names))) if names else ""


def _series_selection(ind: pl.DataFrame, data: ReportData, indicator_id: str, group: str):
    sel = ind.filter(
        (pl.col("indicator_id") == indicator_id) & (pl.col("group_code") == group) & (pl.col("period") <= data.quarter)
    )
    periods = sorted(sel["period"].unique().to_list())[-SERIES_QUARTERS:]
    sel = sel.filter(pl.col("period").is_in(periods)).sort("city", "period")
    return sel, periods, (f"{periods[0]}–{periods[-1]}" if periods else data.quarter)


def _bar_selection(ind: pl.DataFrame, indicator_id: str, group: str, period: str) -> pl.DataFrame:
    return ind.filter(
        (pl.col("indicator_id") == indicator_id) & (pl.col("group_code") == group) & (pl.col("period") == period)
    ).sort("city")


def series_gap(ind: pl.DataFrame, data: ReportData, indicator_id: str, group: str, lang: str) -> str | None:
    """Why `time_series` draws no chart (None: it draws one)."""
    sel, _periods, span = _series_selection(ind, data, indicator_id, group)
    return why_no_chart(_published(sel), data, catalogue_entry(data, indicator_id, lang)["unit"], span, lang, True)


def bars_gap(ind: pl.DataFrame, data: ReportData, indicator_id: str, group: str, lang: str, period: str) -> str | None:
    """Why `comparison_bars` draws no chart (None: it draws one)."""
    shown = _published(_bar_selection(ind, indicator_id, group, period))
    return why_no_chart(shown, data, catalogue_entry(data, indicator_id, lang)["unit"], period, lang, False)


def time_series(
    ind: pl.DataFrame, data: ReportData, indicator_id: str, group: str, lang: str, out_dir: Path, name: str
) -> str | None:
    """Lines per city over the last quarters for one indicator and group."""
    entry = catalogue_entry(data, indicator_id, lang)
    sel, periods, span = _series_selection(ind, data, indicator_id, group)
    if why_no_chart(_published(sel), data, entry["unit"], span, lang, single_ok=True):
        return None
    fig, ax = plt.subplots(figsize=(7.2, 3.4))
    for slug in data.cities:
        s = sel.filter((pl.col("city") == slug) & ~pl.col("is_suppressed").fill_null(False))
        if not s.is_empty():
            ax.plot(
                [periods.index(p) for p in s["period"]],
                s["value"].to_list(),
                marker="o",
                markersize=3,
                label=data.cities[slug],
            )
    ax.set_xticks(range(len(periods)), periods, rotation=45, ha="right")
    ax.yaxis.set_major_formatter(_axis_formatter(lang, _axis_decimals(entry["unit"])))
    ax.set_ylabel(_unit_label(entry["unit"], lang))
    ax.set_title(f"{entry['name']} – {i18n.group_label(group, lang)}")
    ax.legend(fontsize=7, ncol=4, frameon=False, loc="upper left", bbox_to_anchor=(0, -0.28))
    ax.grid(axis="y", alpha=0.3)
    basis = sel["basis"].drop_nulls().first() if "basis" in sel.columns else None
    chart = sel.with_columns(chart=pl.lit(name), x=pl.col("period"), unit=pl.lit(entry["unit"]))
    caption = f"{entry['name']} ({i18n.group_label(group, lang)}), {span}"
    blocked = _blocked_cities(sel.filter(pl.col("period") == data.quarter), data)
    return save_chart(
        fig, chart, out_dir, name, caption, source_caption(entry, lang, basis) + without_note(blocked, lang)
    )


def comparison_bars(
    ind: pl.DataFrame,
    data: ReportData,
    indicator_id: str,
    group: str,
    lang: str,
    out_dir: Path,
    name: str,
    period: str | None = None,
) -> str | None:
    """Horizontal bars per city for one quarter (default: the report quarter), with the interval
    where there is one; no chart when no city has a published value."""
    entry = catalogue_entry(data, indicator_id, lang)
    period = period or data.quarter
    sel = _bar_selection(ind, indicator_id, group, period)
    shown = _published(sel)
    if why_no_chart(shown, data, entry["unit"], period, lang, single_ok=False):
        return None
    fig, ax = plt.subplots(figsize=(7.2, 0.35 * max(shown.height, 3) + 0.8))
    labels = [data.name(c) for c in shown["city"]]
    values = shown["value"].to_list()
    dens = shown["denominator"].to_list() if "denominator" in shown.columns else [None] * len(values)
    small = [is_small_base(d, entry["unit"]) for d in dens]
    colours = ["#a9c1dc" if s_ else "#3a6ea5" for s_ in small]
    ax.barh(labels, values, color=colours, hatch=["//" if s_ else "" for s_ in small], edgecolor="white")
    if "ci_lower" in shown.columns and shown["ci_lower"].is_not_null().any():
        lo, hi = [], []
        for v, lower, upper in zip(values, shown["ci_lower"], shown["ci_upper"]):
            lower, upper, _cut = bound_interval(lower, upper, *logical_range(entry["unit"]))
            lo.append(v - (lower if lower is not None else v))
            hi.append((upper if upper is not None else v) - v)
        ax.errorbar(values, labels, xerr=[lo, hi], fmt="none", ecolor="#222222", capsize=3)
    ax.xaxis.set_major_formatter(_axis_formatter(lang, _axis_decimals(entry["unit"])))
    ax.set_xlabel(_unit_label(entry["unit"], lang))
    ax.set_title(f"{entry['name']} – {i18n.group_label(group, lang)}, {period}")
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    basis = sel["basis"].drop_nulls().first() if "basis" in sel.columns else None
    chart = sel.with_columns(chart=pl.lit(name), x=pl.col("city"), unit=pl.lit(entry["unit"]))
    caption = f"{entry['name']} ({i18n.group_label(group, lang)}), {period}"
    if any(small):
        caption += f" ({i18n.t('small_base_chart', lang).format(n=SMALL_DENOMINATOR)})"
    note = source_caption(entry, lang, basis) + without_note(_blocked_cities(sel, data), lang)
    return save_chart(fig, chart, out_dir, name, caption, note)


def retention_curves(
    ret: pl.DataFrame,
    data: ReportData,
    lang: str,
    out_dir: Path,
    name: str,
    cohort: int | None = None,
    blocked: set[str] = frozenset(),
) -> str | None:
    """Kaplan-Meier retention (share still registered) by months since arrival, one panel per group
    (the disclosure-controlled points of the alliance table; dropped points are simply absent).
    Cities in `blocked` (their register withheld by a quality check) are left out and named."""
    sel = ret.filter(pl.col("city").is_in([c for c in data.cities if c not in blocked]))
    if sel.is_empty():
        return None
    groups = [g for g in ("INSGESAMT", "EU2", "ASYL8") if g in set(sel["group_code"].to_list())] or sorted(
        sel["group_code"].unique().to_list()
    )
    fig, axes = plt.subplots(1, len(groups), figsize=(7.2, 3.0), sharey=True, squeeze=False)
    for ax, g in zip(axes[0], groups):
        for slug in data.cities:
            s = sel.filter((pl.col("city") == slug) & (pl.col("group_code") == g)).sort("months")
            if s.is_empty():
                continue
            (line,) = ax.step(s["months"], s["retention"] * 100, where="post", label=data.cities[slug])
            if "ci_lower" in s.columns and s["ci_lower"].is_not_null().any():
                ax.fill_between(
                    s["months"],
                    s["ci_lower"] * 100,
                    s["ci_upper"] * 100,
                    step="post",
                    alpha=0.12,
                    color=line.get_color(),
                )
        ax.set_title(i18n.group_label(g, lang))
        ax.set_xlabel(i18n.t("months", lang))
        ax.yaxis.set_major_formatter(_axis_formatter(lang, 0))
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(i18n.t("retention", lang) + " (%)")
    axes[0][0].legend(fontsize=7, ncol=4, frameon=False, loc="upper left", bbox_to_anchor=(0, -0.25))
    chart = sel.with_columns(chart=pl.lit(name), x=pl.col("months"), value=pl.col("retention"), unit=pl.lit("ratio"))
    title = "Kaplan-Meier: " + i18n.t("retention", lang)
    if cohort is not None:
        title += f" ({i18n.t('arrival_cohort', lang)} {cohort})"
    note = source_caption(catalogue_entry(data, "retention_12m", lang), lang) + without_note(
        sorted(data.name(c) for c in blocked if c in data.cities), lang
    )
    return save_chart(fig, chart.select([c for c in chart.columns if c in CHART_COLUMNS]), out_dir, name, title, note)


def interval_plot(
    est: pl.DataFrame, data: ReportData, lang: str, out_dir: Path, name: str, note: str = ""
) -> str | None:
    """Point estimates with intervals per city and method (Dunkelziffer). `lower`/`upper`, where
    given, are the intervals bounded to what is logically possible (sections.dunkelziffer)."""
    sel = est.filter(pl.col("city").is_in(list(data.cities)) & pl.col("estimate").is_not_null())
    if sel.is_empty():
        return None
    sel = sel.sort("city", "method")
    labels = [f"{data.name(c)} – {m}" for c, m in zip(sel["city"], sel["method"])]
    fig, ax = plt.subplots(figsize=(7.2, 0.3 * len(labels) + 1.0))
    vals = (sel["point"] if "point" in sel.columns else sel["estimate"]).to_list()
    lows = sel["lower"] if "lower" in sel.columns else sel["ci_lower"]
    highs = sel["upper"] if "upper" in sel.columns else sel["ci_upper"]
    lo = [v - (l if l is not None else v) for v, l in zip(vals, lows)]
    hi = [(u if u is not None else v) - v for v, u in zip(vals, highs)]
    ax.errorbar(vals, labels, xerr=[lo, hi], fmt="o", color="#a5443a", capsize=3)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_axis_formatter(lang, 0))
    ax.set_xlabel(i18n.t("estimate", lang) + " (" + i18n.t("interval", lang) + ")")
    ax.grid(axis="x", alpha=0.3)
    chart = sel.with_columns(
        chart=pl.lit(name),
        x=pl.col("method"),
        value=pl.col("point") if "point" in sel.columns else pl.col("estimate"),
        ci_lower=pl.col("lower") if "lower" in sel.columns else pl.col("ci_lower"),
        ci_upper=pl.col("upper") if "upper" in sel.columns else pl.col("ci_upper"),
        unit=pl.lit("estimate"),
        numerator=pl.lit(None),
        denominator=pl.col("registered") if "registered" in sel.columns else pl.lit(None),
    )
    source = source_caption(catalogue_entry(data, "unregistered_estimate", lang), lang)
    return save_chart(fig, chart, out_dir, name, i18n.t("sec_dunkelziffer", lang), source + note)
