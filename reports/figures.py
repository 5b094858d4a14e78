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
from reports.data import ReportData, catalogue_entry  # noqa: E402

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
    chart.select(CHART_COLUMNS).with_columns(pl.all().cast(pl.String)).write_csv(out_dir / f"{name}.csv")
    # The source goes into the caption: readable in both formats and never over the axes.
    return f"![{caption}. {source}]({out_dir.name}/{name}.png){{width=100%}}\n"


def _source(basis: str, lang: str) -> str:
    return i18n.t("source_official" if basis == "official" else "source_register", lang)


def time_series(
    ind: pl.DataFrame, data: ReportData, indicator_id: str, group: str, lang: str, out_dir: Path, name: str
) -> str | None:
    """Lines per city over the last quarters for one indicator and group."""
    entry = catalogue_entry(data, indicator_id, lang)
    sel = ind.filter(
        (pl.col("indicator_id") == indicator_id) & (pl.col("group_code") == group) & (pl.col("period") <= data.quarter)
    )
    periods = sorted(sel["period"].unique().to_list())[-SERIES_QUARTERS:]
    sel = sel.filter(pl.col("period").is_in(periods)).sort("city", "period")
    if sel.filter(~pl.col("is_suppressed").fill_null(False) & pl.col("value").is_not_null()).is_empty():
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
    basis = sel["basis"].drop_nulls().first() if "basis" in sel.columns else "register"
    chart = sel.with_columns(chart=pl.lit(name), x=pl.col("period"), unit=pl.lit(entry["unit"]))
    caption = f"{entry['name']} ({i18n.group_label(group, lang)}), {periods[0]}–{periods[-1]}"
    return save_chart(fig, chart, out_dir, name, caption, _source(basis or "register", lang))


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
    sel = ind.filter(
        (pl.col("indicator_id") == indicator_id) & (pl.col("group_code") == group) & (pl.col("period") == period)
    ).sort("city")
    shown = sel.filter(~pl.col("is_suppressed").fill_null(False) & pl.col("value").is_not_null())
    if shown.is_empty():
        return None
    fig, ax = plt.subplots(figsize=(7.2, 0.35 * max(len(sel), 3) + 0.8))
    labels = [data.cities.get(c, c) for c in shown["city"]]
    values = shown["value"].to_list()
    ax.barh(labels, values, color="#3a6ea5")
    if "ci_lower" in shown.columns and shown["ci_lower"].is_not_null().any():
        lo = [v - (l if l is not None else v) for v, l in zip(values, shown["ci_lower"])]
        hi = [(u if u is not None else v) - v for v, u in zip(values, shown["ci_upper"])]
        ax.errorbar(values, labels, xerr=[lo, hi], fmt="none", ecolor="#222222", capsize=3)
    ax.xaxis.set_major_formatter(_axis_formatter(lang, _axis_decimals(entry["unit"])))
    ax.set_xlabel(_unit_label(entry["unit"], lang))
    ax.set_title(f"{entry['name']} – {i18n.group_label(group, lang)}, {period}")
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    basis = sel["basis"].drop_nulls().first() if "basis" in sel.columns else "register"
    chart = sel.with_columns(chart=pl.lit(name), x=pl.col("city"), unit=pl.lit(entry["unit"]))
    caption = f"{entry['name']} ({i18n.group_label(group, lang)}), {period}"
    return save_chart(fig, chart, out_dir, name, caption, _source(basis or "register", lang))


def retention_curves(
    ret: pl.DataFrame, data: ReportData, lang: str, out_dir: Path, name: str, cohort: int | None = None
) -> str | None:
    """Kaplan-Meier retention (share still registered) by months since arrival, one panel per group
    (the disclosure-controlled points of the alliance table; dropped points are simply absent)."""
    sel = ret.filter(pl.col("city").is_in(list(data.cities)))
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
    return save_chart(
        fig,
        chart.select([c for c in chart.columns if c in CHART_COLUMNS]),
        out_dir,
        name,
        title,
        _source("register", lang),
    )


def interval_plot(est: pl.DataFrame, data: ReportData, lang: str, out_dir: Path, name: str) -> str | None:
    """Point estimates with intervals per city and method (Dunkelziffer)."""
    sel = est.filter(pl.col("city").is_in(list(data.cities)) & pl.col("estimate").is_not_null())
    if sel.is_empty():
        return None
    sel = sel.sort("city", "method")
    labels = [f"{data.cities[c]} – {m}" for c, m in zip(sel["city"], sel["method"])]
    fig, ax = plt.subplots(figsize=(7.2, 0.3 * len(labels) + 1.0))
    vals = sel["estimate"].to_list()
    lo = [v - (l if l is not None else v) for v, l in zip(vals, sel["ci_lower"])]
    hi = [(u if u is not None else v) - v for v, u in zip(vals, sel["ci_upper"])]
    ax.errorbar(vals, labels, xerr=[lo, hi], fmt="o", color="#a5443a", capsize=3)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_axis_formatter(lang, 0))
    ax.set_xlabel(i18n.t("estimate", lang) + " (" + i18n.t("interval", lang) + ")")
    ax.grid(axis="x", alpha=0.3)
    chart = sel.with_columns(
        chart=pl.lit(name),
        x=pl.col("method"),
        value=pl.col("estimate"),
        unit=pl.lit("estimate"),
        numerator=pl.lit(None),
        denominator=pl.col("registered") if "registered" in sel.columns else pl.lit(None),
    )
    return save_chart(fig, chart, out_dir, name, i18n.t("sec_dunkelziffer", lang), _source("register", lang))
