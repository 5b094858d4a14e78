"""Typing of a text frame in the standard shape into the canonical raw-table columns.

Every step is a vectorised Polars expression; a value that cannot be typed makes the whole
delivery fail with the first offending line (`DeliveryError`).
"""

from __future__ import annotations

import polars as pl

from ingest import sources
from ingest.errors import DeliveryError
from ingest.schemas import COLUMNS

# Suppressed counts (`*`: NULL plus <col>_gesperrt, never 0) and month columns (delivered as
# YYYY-MM, stored as the first day of the month) are declared per table in `ingest.sources`.


def check_columns(df: pl.DataFrame, table: str) -> None:
    expected = list(sources.table(table).columns)
    present = set(df.columns) - {"source_line"}
    missing = [c for c in expected if c not in present]
    extra = sorted(present - set(expected))
    if missing:
        more = f"; unexpected: {', '.join(extra)}" if extra else ""
        raise DeliveryError(f"missing column(s): {', '.join(missing)}{more}", 1)
    if extra:
        raise DeliveryError(f"unexpected column(s): {', '.join(extra)}", 1)


def _first_bad(df: pl.DataFrame, bad: pl.Expr, col: str, what: str) -> None:
    hits = df.filter(bad)
    if hits.height:
        row = hits.row(0, named=True)
        count = f" ({hits.height} rows)" if hits.height > 1 else ""
        raise DeliveryError(f"{what} in {col}: {row[col]!r}{count}", row["source_line"])


def _first_of(df: pl.DataFrame, checks: list[tuple[pl.Expr, str, str]]) -> None:
    """`_first_bad` for several (bad, col, what) checks, evaluated in one pass over the frame
    (a collect per check dominated the time of small files); the first failing check in list
    order raises."""
    if not checks or df.height == 0:
        return
    flags = df.select([bad.any().alias(f"c{i}") for i, (bad, _, _) in enumerate(checks)]).row(0)
    for (bad, col, what), broken in zip(checks, flags):
        if broken:
            _first_bad(df, bad, col, what)


def _date_expr(col: str, iso_only: bool, table: str) -> pl.Expr:
    text = pl.col(col).str.strip_chars()
    if col in sources.table(table).month_columns:
        text = pl.when(text.str.contains(r"^\d{4}-\d{2}$")).then(text + "-01").otherwise(text)
    iso = text.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    if iso_only:
        return iso
    return pl.coalesce(iso, text.str.strptime(pl.Date, "%d.%m.%Y", strict=False))


def _int_expr(col: str, dtype: pl.DataType) -> pl.Expr:
    return pl.col(col).str.strip_chars().cast(dtype, strict=False)


def _numeric_checks(table: str) -> list[tuple[pl.Expr, str, str]]:
    suppressible = sources.table(table).suppressed_counts
    checks = []
    for col, dtype in COLUMNS[table].items():
        if col in suppressible:
            star = pl.col(col).str.strip_chars() == "*"
            checks += [
                (
                    pl.col(col).is_not_null() & ~star & _int_expr(col, dtype).is_null(),
                    col,
                    "non-numeric count (only digits or '*' allowed)",
                ),
                (_int_expr(col, dtype) < 0, col, "negative count"),
            ]
        elif dtype in (pl.Int32, pl.Float64) and not col.endswith("_gesperrt"):
            checks.append((pl.col(col).is_not_null() & _int_expr(col, dtype).is_null(), col, "non-numeric value"))
    return checks


def _typed_expr(col: str, dtype: pl.DataType, table: str, iso_only: bool) -> pl.Expr:
    if col.endswith("_gesperrt"):
        base = col.removesuffix("_gesperrt")
        return (pl.col(base).str.strip_chars() == "*").fill_null(False).alias(col)
    if col in sources.table(table).suppressed_counts:
        star = pl.col(col).str.strip_chars() == "*"
        return pl.when(star).then(None).otherwise(_int_expr(col, dtype)).alias(col)
    if dtype in (pl.Int32, pl.Float64):
        return _int_expr(col, dtype).alias(col)
    if dtype == pl.Date:
        return _date_expr(col, iso_only, table).alias(col)
    return pl.col(col)  # codes are checked as delivered (no silent trimming)


def to_canonical(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """Typed frame with the domain columns of `table` (schema order) plus `source_line`.

    Dates are ISO, or TT.MM.JJJJ (ewo-legacy mixes both in one file); the second format is only
    tried for columns where ISO left values unparsed. One pass finds those columns and any
    broken number (a pass per check dominated the time of small files), one pass types.
    """
    check_columns(df, table)
    schema = COLUMNS[table]
    dates = [c for c, t in schema.items() if t == pl.Date]
    numeric = _numeric_checks(table)
    unparsed_iso = [pl.col(c).is_not_null() & _date_expr(c, True, table).is_null() for c in dates]
    flags = (
        df.select([e.any().alias(f"f{i}") for i, e in enumerate(unparsed_iso + [b for b, _, _ in numeric])]).row(0)
        if (dates or numeric) and df.height
        else ()
    )
    retry = {c for c, flag in zip(dates, flags) if flag}
    if retry:
        _first_of(
            df,
            [
                (pl.col(c).is_not_null() & _date_expr(c, c not in retry, table).is_null(), c, "unparseable date")
                for c in dates
            ],
        )
    if any(flags[len(dates) :]):
        _first_of(df, numeric)
    return df.select([*(_typed_expr(c, t, table, c not in retry) for c, t in schema.items()), pl.col("source_line")])
