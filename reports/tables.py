"""Tables of the report as Markdown pipe tables, formatted for print in the report's language.

Every number goes through `format_value`: counts with the language's thousands separator,
suppressed cells as `*` (as the sources show them), rates and shares always with decimals so
that they cannot be mistaken for small counts. Totals are only formed where every part is exact.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import polars as pl

from reports import i18n
from reports.data import (
    SMALL_DENOMINATOR,
    SUMMARY_GROUPS,
    ReportData,
    bound_interval,
    catalogue_entry,
    is_count_unit,
    is_small_base,
    logical_range,
    parse_quarter,
    previous_quarter,
    quarter_months,
)
from reports.disclosure import BALANCE_CLASS, OPERATIONAL_CLASS, guard_counts

LATE_AFTER_DAYS = 30  # a delivery received later than this after the end of its period is "late"
NOTABLE_MIN_COUNT = 20  # a count or balance moving from or to fewer than this is no "notable movement"
KEEP_ROWS = 34  # tables up to this many rows are kept on one page (with their caption)
BOUNDED = "‡"  # marks an interval shown only within its logically possible range
_DECIMALS = {"percent": 1, "per_1000": 1, "index": 2, "years": 1, "ratio": 2}


def _esc(cell: str) -> str:
    return str(cell).replace("|", "\\|").replace("*", "\\*")


def city_cell(name: str) -> str:
    """A city name that breaks at most once in a table cell ("Mülheim / an der Ruhr", never over
    three lines): the spaces after the first one do not break."""
    first, _, rest = name.partition(" ")
    return f"{first} {rest.replace(' ', chr(0xA0))}" if rest else first


def keep_together(md: str) -> str:
    """Markdown that the PDF keeps on one page (heading with its text and chart, a short table);
    the HTML shows it unchanged. A raw Typst block around it: pandoc would turn a Div that starts
    with a heading into an HTML <section> and move the heading's id."""
    return f"```{{=typst}}\n#block(breakable: false, width: 100%)[\n```\n\n{md}\n\n```{{=typst}}\n]\n```\n"


def table_rows(md: str) -> int:
    return sum(1 for line in md.splitlines() if line.startswith("| ")) - 1


def md_table(headers: list[str], rows: list[list[str]], align: str | None = None, caption: str | None = None) -> str:
    """A pipe table; `align` is one of l/r per column (default: first left, rest right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    rule = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(_esc(h) for h in headers) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(_esc(c) for c in row) + " |" for row in rows]
    text = "\n".join(lines)
    return text + (f"\n\n: {caption}" if caption else "") + "\n"


def operational(md: str) -> str:
    """Wrap a table of files/checks (not persons) so that the disclosure scan knows it."""
    return f"::: {{.{OPERATIONAL_CLASS}}}\n{md}\n:::\n"


def balances(md: str) -> str:
    """Wrap a table of balances (differences of published counts) so that the scan knows it."""
    return f"::: {{.{BALANCE_CLASS}}}\n{md}\n:::\n"


def format_value(
    value, unit: str, lang: str, *, suppressed: bool = False, signed: bool = False, small_base: bool = False
) -> str:
    """A value as the report prints it; `small_base`: in parentheses (limited reliability)."""
    if suppressed:
        return i18n.SUPPRESSED
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return i18n.MISSING
    if small_base:
        return f"({format_value(value, unit, lang, signed=signed)})"
    if unit == "balance":
        return i18n.fmt_count(value, lang, signed=True)
    if is_count_unit(unit):
        return i18n.fmt_count(value, lang, signed=signed)
    if unit == "percent":
        return ("+" if signed and value > 0 else "") + i18n.fmt_pct(value, lang)
    return i18n.fmt_number(value, lang, _DECIMALS.get(unit, 1), signed=signed)


def safe_total(values: list, *, suppressed: list[bool] | None = None, rounded: bool = False):
    """Sum of the parts, or None when a part is suppressed/missing or the source is rounded.

    Rounded sources are never summed into exact-looking totals; a total over suppressed cells
    would reveal them or understate.
    """
    if rounded or any(suppressed or []) or any(v is None for v in values):
        return None
    return sum(values)


def flag_marks(row: dict) -> str:
    marks = [
        m
        for key, m in (("is_provisional", "v"), ("is_break", "b"), ("is_not_comparable", "n"), ("is_blocked", "g"))
        if row.get(key)
    ]
    return " ".join(marks)


def guarded_indicators(data: ReportData) -> tuple[pl.DataFrame | None, int]:
    """The indicator rows with the report's own small-count guard applied."""
    ind = data.frame("indicators")
    if ind is None:
        return None, 0
    count_ids = [
        i for i in ind["indicator_id"].unique().to_list() if is_count_unit(catalogue_entry(data, i, "de")["unit"])
    ]
    return guard_counts(ind, pl.col("indicator_id").is_in(count_ids))


def comparison_table(
    ind: pl.DataFrame,
    data: ReportData,
    indicator_id: str,
    lang: str,
    group: str | None = None,
    groups: list[str] | None = None,
    period: str | None = None,
) -> str:
    """Intercity comparison of one indicator for one quarter (default: the report quarter), one
    row per city x group; interval, numerator and denominator columns only where they hold values."""
    entry = catalogue_entry(data, indicator_id, lang)
    period = period or data.quarter
    rows_df = ind.filter((pl.col("indicator_id") == indicator_id) & (pl.col("period") == period))
    if group is not None:
        rows_df = rows_df.filter(pl.col("group_code") == group)
    if groups:
        order = {g: i for i, g in enumerate(groups)}
        rows_df = rows_df.filter(pl.col("group_code").is_in(groups)).with_columns(
            _order=pl.col("group_code").replace_strict(order, default=len(order))
        )
    else:
        rows_df = rows_df.with_columns(_order=pl.lit(0))
    if rows_df.is_empty():
        return f"*{i18n.t('no_data', lang)}*\n"
    has = {c: c in rows_df.columns and rows_df[c].is_not_null().any() for c in ("ci_lower", "numerator", "denominator")}
    if is_count_unit(entry["unit"]):
        has["numerator"] = False  # the value is the count itself
    rows = []
    for r in rows_df.sort(["_order", "group_code", "city"]).iter_rows(named=True):
        sup = bool(r.get("is_suppressed"))
        interval = i18n.MISSING
        if not sup and r.get("ci_lower") is not None and r.get("ci_upper") is not None:
            lo, hi, cut = bound_interval(r["ci_lower"], r["ci_upper"], *logical_range(entry["unit"]))
            interval = f"{format_value(lo, entry['unit'], lang)} – {format_value(hi, entry['unit'], lang)}" + (
                f" {BOUNDED}" if cut else ""
            )
        small = is_small_base(r.get("denominator"), entry["unit"])
        row = [
            city_cell(data.name(r["city"])),
            i18n.group_short(r.get("group_code"), lang),
            format_value(r.get("value"), entry["unit"], lang, suppressed=sup, small_base=small),
        ]
        row += [interval] if has["ci_lower"] else []
        row += [i18n.fmt_count(r.get("numerator"), lang, suppressed=sup)] if has["numerator"] else []
        row += [i18n.fmt_count(r.get("denominator"), lang, suppressed=sup)] if has["denominator"] else []
        row += [
            i18n.MISSING if sup else i18n.fmt_rank(r.get("rank"), r.get("n_cities_ranked"), lang),
            i18n.t(f"basis_{r.get('basis') or 'register'}", lang),
            flag_marks(r),
        ]
        rows.append(row)
    keys = ["city", "group", "value"] + [
        k for k, c in (("interval", "ci_lower"), ("numerator", "numerator"), ("denominator", "denominator")) if has[c]
    ]
    keys += ["rank", "basis", "flags"]
    align = "llr" + "r" * (len(keys) - 6) + "rll"
    md = md_table([i18n.t(k, lang) for k in keys], rows, align=align, caption=f"{entry['name']}, {period}")
    return md + table_notes(md, lang)


def table_notes(md: str, lang: str) -> str:
    """The notes a table needs: small denominators in parentheses, bounded intervals."""
    notes = []
    if re.search(r"\| \([−+]?[\d.,]+(?: %)?\) \|", md):
        notes.append(i18n.t("small_base_legend", lang).format(n=SMALL_DENOMINATOR))
    if BOUNDED in md:
        notes.append(i18n.t("interval_bounded", lang))
    return "".join(f"\n{n}\n" for n in notes)


def _change(cur: dict | None, prev: dict | None):
    if not cur or not prev or cur.get("is_suppressed") or prev.get("is_suppressed"):
        return None
    if cur.get("value") is None or prev.get("value") is None:
        return None
    return cur["value"] - prev["value"]


def summary_table(ind: pl.DataFrame, data: ReportData, lang: str, indicator_id: str = "stock") -> str:
    """Per city the registered target groups and their change on the previous quarter."""
    unit = catalogue_entry(data, indicator_id, lang)["unit"] or "count"
    prev_q = previous_quarter(data.quarter)
    sel = ind.filter(pl.col("indicator_id") == indicator_id)
    lookup = {(r["city"], r["group_code"], r["period"]): r for r in sel.iter_rows(named=True)}
    rows = []
    for slug, name in data.cities.items():
        row = [city_cell(name)]
        for g in SUMMARY_GROUPS:
            cur, prev = lookup.get((slug, g, data.quarter)), lookup.get((slug, g, prev_q))
            row.append(
                format_value(cur and cur.get("value"), unit, lang, suppressed=bool(cur and cur.get("is_suppressed")))
            )
            # counts change as a relative figure: a bare difference of 1 or 2 would read as a count
            # of persons (and the output scan refuses it), although both counts are published
            change = _change(cur, prev)
            if is_count_unit(unit) and change is not None:
                base = prev.get("value") if prev else None
                change = 100 * change / base if base else None
                row.append(format_value(change, "percent", lang, signed=True))
            else:
                row.append(format_value(change, unit, lang, signed=True))
        rows.append(row)
    headers = [i18n.t("city", lang)]
    for g in SUMMARY_GROUPS:
        headers += [i18n.group_short(g, lang), "± %" if is_count_unit(unit) else "±"]
    groups = "; ".join(f"{i18n.group_short(g, lang)} = {i18n.group_label(g, lang)}" for g in SUMMARY_GROUPS)
    return md_table(
        headers, rows, caption=f"{i18n.t('target_groups', lang)}, {data.quarter}; ± {i18n.t('change', lang)}. {groups}"
    )


def notable_movements(ind: pl.DataFrame, data: ReportData, lang: str, per_city: int = 3) -> dict[str, list[str]]:
    """Per city the largest relative changes on the previous quarter, as plain sentences.

    Suppressed, not comparable and break-flagged rows are left out: their change means nothing.
    """
    prev_q = previous_quarter(data.quarter)
    bad = pl.col("is_suppressed").fill_null(False)
    for flag in ("is_not_comparable", "is_break"):
        if flag in ind.columns:
            bad = bad | pl.col(flag).fill_null(False)
    if "is_blocked" in ind.columns:
        bad = bad | pl.col("is_blocked").fill_null(False)
    usable = ind.filter(~bad & pl.col("value").is_not_null() & pl.col("period").is_in([data.quarter, prev_q]))
    keys = ["city", "indicator_id", "group_code"]
    units = {i: catalogue_entry(data, i, lang)["unit"] for i in usable["indicator_id"].unique().to_list()}
    counts = [i for i, u in units.items() if is_count_unit(u) or u == "balance"]
    den = pl.col("denominator") if "denominator" in usable.columns else pl.lit(None)
    # a movement on a small base is chance, not news: rates need a denominator of
    # SMALL_DENOMINATOR, counts and balances a size of NOTABLE_MIN_COUNT on both sides
    solid = pl.when(pl.col("indicator_id").is_in(counts)).then(pl.col("value").abs() >= NOTABLE_MIN_COUNT)
    solid = solid.otherwise(den.is_null() | (den >= SMALL_DENOMINATOR))
    usable = usable.filter(solid)
    cur = usable.filter(pl.col("period") == data.quarter).select(*keys, "value")
    prev = usable.filter(pl.col("period") == prev_q).select(*keys, pl.col("value").alias("prev"))
    joined = (
        cur.join(prev, on=keys)
        .filter(pl.col("prev").abs() > 0)
        .with_columns(rel=((pl.col("value") - pl.col("prev")) / pl.col("prev").abs()))
    )
    out: dict[str, list[str]] = {}
    for slug in data.cities:
        top = (
            joined.filter((pl.col("city") == slug) & (pl.col("rel") != 0))
            .sort(pl.col("rel").abs(), descending=True)
            .head(per_city)
        )
        sentences = []
        for r in top.iter_rows(named=True):
            entry = catalogue_entry(data, r["indicator_id"], lang)
            delta = r["value"] - r["prev"]
            if _delta_text(abs(delta), entry["unit"], lang) in ("0", "0,0", "0.0", "0,0 %", "0.0 %"):
                continue  # a change that rounds to nothing is no movement
            sentences.append(
                i18n.t("movement_sentence", lang).format(
                    city=data.cities[slug],
                    indicator=entry["name"],
                    group=i18n.group_label(r["group_code"], lang),
                    verb=i18n.t("movement_up" if delta > 0 else "movement_down", lang),
                    delta=_delta_text(abs(delta), entry["unit"], lang),
                    value=format_value(r["value"], entry["unit"], lang),
                )
            )
        out[slug] = sentences
    return out


def _delta_text(delta: float, unit: str, lang: str) -> str:
    """The size of a change, without a sign (the verb says the direction: "sank um 41", never
    "sank um +41"); a change of a percentage is in percentage points, not per cent."""
    if unit == "percent":
        return f"{i18n.fmt_number(delta, lang, 1)} {i18n.t('pp', lang)}"
    if unit == "balance":
        return i18n.fmt_count(delta, lang)
    return format_value(delta, unit, lang)


def _period_in_quarter(period: str | None, quarter: str) -> bool:
    return bool(period) and period[:7] in quarter_months(quarter)


def _period_end(period: str) -> dt.date | None:
    try:
        if len(period) == 7:
            y, m = int(period[:4]), int(period[5:7])
            return dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
        return dt.date.fromisoformat(period[:10])
    except ValueError:
        return None


def quality_table(data: ReportData, lang: str) -> str:
    """Deliveries of the quarter per city (files received, late, corrected, quarantined) and the
    outcomes of the quality checks, from the aggregated bookkeeping of the published copy; two
    tables, so that neither is too wide for the page."""
    reg = data.frame("registry")
    res = data.frame("quality_results")
    rows, checks = [], []
    for slug, name in (data.members or data.cities).items():  # a missing city shows what arrived
        groups = (
            []
            if reg is None
            else [
                r
                for r in reg.filter(pl.col("city") == slug).iter_rows(named=True)
                if _period_in_quarter(r["period"], data.quarter)
            ]
        )
        files = sum(r["n_files"] for r in groups)
        late = 0
        for r in groups:
            end = _period_end(r["period"])
            if end and r.get("last_received_at") and (r["last_received_at"].date() - end).days > LATE_AFTER_DAYS:
                late += r["n_files"]
        outcomes = {"passed": 0, "failed": 0, "error": 0}
        if res is not None:
            for r in res.filter(pl.col("city") == slug).iter_rows(named=True):
                if _period_in_quarter(r.get("period"), data.quarter) and r["outcome"] in outcomes:
                    outcomes[r["outcome"]] += r["n_results"]
        rows.append(
            [
                city_cell(name),
                str(files),
                str(late),
                str(sum(r["n_files"] for r in groups if (r.get("version") or 1) > 1)),
                str(sum(r["n_files"] for r in groups if r["status"] == "quarantined")),
            ]
        )
        checks.append([city_cell(name), *(str(outcomes[k]) for k in ("passed", "failed", "error"))])
    city = [i18n.t("city", lang)]
    deliveries = md_table(
        city + [i18n.t(k, lang) for k in ("received", "late", "corrected", "quarantined")],
        rows,
        caption=f"{i18n.t('deliveries', lang)}, {data.quarter}",
    )
    outcomes_md = md_table(
        city + [i18n.t(k, lang) for k in ("checks_passed", "checks_failed", "checks_error")],
        checks,
        caption=f"{i18n.t('checks', lang)}, {data.quarter}",
    )
    return operational(deliveries) + "\n" + operational(outcomes_md)


def revisions_table(data: ReportData, lang: str, since: dt.datetime | None) -> str | None:
    """Corrected deliveries (_vN) for earlier periods registered since the last report."""
    reg = data.frame("registry")
    if reg is None:
        return None
    year, q = parse_quarter(data.quarter)
    start = f"{year}-{3 * q - 2:02d}"
    sel = reg.filter(
        (pl.col("version").fill_null(1) > 1)
        & (pl.col("period").str.slice(0, 7) < start)
        & pl.col("city").is_in(list(data.members or data.cities))
    )
    if since is not None:
        sel = sel.filter(pl.col("last_registered_at") >= since)
    if sel.is_empty():
        return None
    # one line per city and source: how many earlier periods were corrected, which, latest version
    agg = (
        sel.group_by("city", "source")
        .agg(
            pl.col("period").n_unique().alias("n_periods"),
            pl.col("period").min().alias("first"),
            pl.col("period").max().alias("last"),
            pl.col("version").max().alias("version"),
        )
        .sort("city", "source")
    )
    rows = [
        [
            city_cell(data.name(r["city"])),
            i18n.source_name(r["source"], lang),
            str(r["n_periods"]),
            r["first"] if r["first"] == r["last"] else f"{r['first']} – {r['last']}",
            f"v{r['version']}",
        ]
        for r in agg.iter_rows(named=True)
    ]
    headers = [i18n.t(k, lang) for k in ("city", "source", "corrected", "period", "version")]
    return operational(md_table(headers, rows, align="llrll", caption=i18n.t("revisions", lang)))
