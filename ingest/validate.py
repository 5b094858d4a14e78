"""Content rules of a typed delivery, as vectorised Polars checks (no per-row Python).

`validate(frame, ctx)` raises `DeliveryError` with the first broken rule and the first line
where it shows; rules run in a fixed order so the message is stable.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from ingest import sources
from ingest.config import CityConfig
from ingest.errors import DeliveryError
from ingest.layout import DeliveryName


@dataclass
class Context:
    name: DeliveryName
    city: CityConfig
    gebiete: pl.DataFrame | None = None  # bezirk_code, gueltig_ab, gueltig_bis of the city


def needs_gebiete(table: str) -> bool:
    """Does the table carry district codes (checked against the city's `gebiete`)?"""
    return bool(sources.table(table).districts)


def _fail(df: pl.DataFrame, bad: pl.Expr, col: str, what: str) -> None:
    hits = df.filter(bad)
    if hits.height:
        row = hits.row(0, named=True)
        count = f" ({hits.height} rows)" if hits.height > 1 else ""
        raise DeliveryError(f"{what} in {col}: {show(row[col])}{count}", row["source_line"])


def show(value) -> str:
    """A value for a message: quoted text, dates as ISO."""
    return repr(value) if isinstance(value, str) or value is None else f"'{value}'"


def _vocabulary(df: pl.DataFrame, col: str, allowed, what: str) -> list[Rule]:
    if col not in df.columns:
        return []
    return [Rule(pl.col(col).is_not_null() & ~pl.col(col).is_in(list(allowed)), col, what)]


@dataclass
class Rule:
    """One row-wise rule: `bad` is true on a row that breaks it."""

    bad: pl.Expr
    col: str
    what: str


def first_broken(df: pl.DataFrame, rules: list[Rule]) -> None:
    """Raise for the first rule (in list order) that any row breaks.

    All rules are evaluated in one pass over the frame (one `select`), because a collect per
    rule cost ~0.2 ms each, i.e. most of the time of a small file; the slower filter that
    names the line runs only for the rule that failed.
    """
    if not rules or df.height == 0:
        return
    flags = df.select([r.bad.any().alias(f"r{i}") for i, r in enumerate(rules)]).row(0)
    for rule, broken in zip(rules, flags):
        if broken:
            _fail(df, rule.bad, rule.col, rule.what)


def period_window(name: DeliveryName, city: CityConfig) -> tuple[date, date]:
    """First and last allowed date of the period column."""
    if sources.source(name.source).cadence == "monthly":
        y, m = map(int, name.period.split("-"))
        return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
    ref = date.fromisoformat(name.period)
    tolerance = city.snapshot_tolerance_days.get(name.source, 0)
    return ref - timedelta(days=tolerance), ref


def _period_rules(ctx: Context, table: str) -> list[Rule]:
    col = sources.table(table).period_column
    if col is None:
        return []
    lo, hi = period_window(ctx.name, ctx.city)
    what = (
        f"date outside the delivery period {ctx.name.period} ({lo}..{hi})"
        if lo != hi
        else f"reference date differs from the file date {hi}"
    )
    return [Rule(~pl.col(col).is_between(lo, hi), col, what)]


def _district_dates(table: str) -> dict[str, tuple[str, str]]:
    """District column -> the two dates on either of which its code must be valid."""
    return {d.column: d.dates for d in sources.table(table).districts}


def _date_of(name: str, month: str | None) -> pl.Expr:
    """A date column, or the last day of the month column `month` (sources.MONTH_END)."""
    return pl.col(month).dt.month_end() if name == sources.MONTH_END else pl.col(name)


def _valid_throughout(df: pl.DataFrame, geb: pl.DataFrame, cols: dict, month: str | None) -> bool:
    """Fast path (one pass over the frame): is every code used valid over the whole date range
    of the file? Then every row passes; otherwise the exact check decides row by row."""
    dates = sorted({d for pair in cols.values() for d in pair})
    stats = df.select(
        *[pl.col(c).drop_nulls().unique().implode().alias(c) for c in cols],
        pl.min_horizontal([_date_of(d, month).min() for d in dates]).alias("__lo"),
        pl.max_horizontal([_date_of(d, month).max() for d in dates]).alias("__hi"),
    ).row(0, named=True)
    lo, hi = stats.pop("__lo"), stats.pop("__hi")
    if lo is None or hi is None:
        return False
    valid = {
        code
        for code, ab, bis in geb.select("bezirk_code", "gueltig_ab", "gueltig_bis").rows()
        if (ab is None or ab <= lo) and (bis is None or hi <= bis)
    }
    return all(set(codes) <= valid for codes in stats.values())


def _check_districts(df: pl.DataFrame, ctx: Context, table: str) -> None:
    cols = _district_dates(table)
    if not cols:
        return
    geb = ctx.gebiete
    month = sources.table(table).period_column
    if _valid_throughout(df, geb, cols, month):
        return
    if any(sources.MONTH_END in dates for dates in cols.values()):
        df = df.with_columns(_date_of(sources.MONTH_END, month).alias(sources.MONTH_END))
    for col, (d1, d2) in cols.items():
        pairs = (
            df.select(pl.col(col).alias("code"), pl.col(d1).alias("d1"), pl.col(d2).alias("d2"))
            .drop_nulls("code")
            .unique()
        )
        checked = pairs.join(
            geb.with_columns(pl.lit(True).alias("__known")), left_on="code", right_on="bezirk_code", how="left"
        )

        def valid_on(d: str) -> pl.Expr:  # an unmatched code has no validity at all
            return (
                pl.col("__known").fill_null(False)
                & (pl.col("gueltig_ab").is_null() | (pl.col("gueltig_ab") <= pl.col(d)))
                & (pl.col("gueltig_bis").is_null() | (pl.col(d) <= pl.col("gueltig_bis")))
            )

        known = set(geb["bezirk_code"].to_list())
        verdict = (
            checked.with_columns((valid_on("d1") | valid_on("d2")).fill_null(False).alias("ok"))
            .group_by("code", "d1", "d2")
            .agg(pl.col("ok").any())
            .filter(~pl.col("ok"))
        )
        if verdict.height:
            bad = df.join(
                verdict.select(pl.col("code").alias(col), pl.col("d1").alias(d1), pl.col("d2").alias(d2)),
                on=[col, d1, d2],
                how="semi",
            )
            row = bad.sort("source_line").row(0, named=True)
            code = row[col]
            what = "unknown district code" if code not in known else f"district code not valid on {row[d1]}"
            count = f" ({bad.height} rows)" if bad.height > 1 else ""
            raise DeliveryError(f"{what} in {col}: {show(code)}{count}", row["source_line"])


def _origin_rules(keys: set[str]) -> list[Rule]:
    art, origin = pl.col("ereignis_art"), pl.col("herkunft_ziel")
    return [
        Rule(
            art.str.ends_with("_AUSLAND") & origin.is_not_null() & ~origin.is_in(list(keys)),
            "herkunft_ziel",
            "unknown nationality/country code for a movement abroad",
        ),
        Rule(
            art.str.ends_with("_INLAND") & origin.is_not_null() & ~origin.str.contains(r"^(\d{8}|GM\d{4})$"),
            "herkunft_ziel",
            "municipality key (8-digit AGS or GMxxxx) expected for a domestic movement",
        ),
    ]


def _key_rules(t: sources.RawTable) -> list[Rule]:
    """A key repeated within the file, where the registry says ingest rejects it."""
    if not t.duplicate_keys_message:
        return []
    keys = t.keys
    dup = pl.col(keys[0]).is_duplicated() if len(keys) == 1 else pl.struct(*keys).is_duplicated()
    return [Rule(dup, keys[0], t.duplicate_keys_message)]


def rules_of(df: pl.DataFrame, ctx: Context) -> list[Rule]:
    """The row-wise rules of a delivery, in the order their messages take precedence."""
    t = sources.table(ctx.name.table)
    rules = [Rule(pl.col(col).is_null(), col, "missing value") for col in t.ordered(t.required)]
    rules += [
        Rule(
            pl.col(col).is_not_null() & ~pl.col(col).str.contains(r"^[0-9a-fA-F]{32}$"),
            col,
            "pseudonym is not 32 hex characters",
        )
        for col in t.pseudonym_columns
        if col in df.columns
    ]
    lists = sources.code_lists()
    for col in t.ordered(t.codes):
        code_list = lists[t.codes[col]]
        rules += _vocabulary(df, col, code_list.values(ctx.city.country), code_list.message)
    if {"ereignis_art", "herkunft_ziel"} <= set(t.columns):
        rules += _origin_rules(lists["nationality_keys"].values())
    rules += _key_rules(t)
    if {"gueltig_ab", "gueltig_bis"} <= set(t.columns):
        rules.append(Rule(pl.col("gueltig_bis") < pl.col("gueltig_ab"), "gueltig_bis", "gueltig_bis before gueltig_ab"))
    return rules + _period_rules(ctx, t.name)


def validate(df: pl.DataFrame, ctx: Context) -> None:
    first_broken(df, rules_of(df, ctx))
    _check_districts(df, ctx, ctx.name.table)
