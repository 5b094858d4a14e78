"""Rules against hostile or broken content that the per-source rules of `ingest.validate` do
not cover: over-long fields, control characters, formula-like codes, events recorded before
they happened, dates in the future, free text where the spec says "empty".

`check_text_fields` runs on the text frame straight from the dialect reader (every value still
as delivered), `check_content` on the typed frame after `ingest.validate`; both raise
`DeliveryError` with the first broken rule and its line, like the rules they complement.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from ingest.errors import DeliveryError
from ingest.limits import Limits
from ingest.validate import Context, Rule, first_broken

# Free text (names) may start with any character; every other text column holds codes and ids,
# which never start with what a spreadsheet would evaluate (=, +, -, @, tab, CR).
FREE_TEXT_COLUMNS = {"bezirk_name"}
FORMULA_START = r"^[=+\-@\t\r]"
CONTROL = r"[\x00-\x1f\x7f]"  # no field of any dialect holds a control character (or a line break)
DATE_COLUMNS_NOT_AFTER_TODAY = (
    "ereignis_datum",
    "meldedatum",
    "stichtag",
    "kontakt_datum",
    "zuzug_datum",
    "einzug_datum",
    "aufnahme_datum",
    "letzte_kontrolle",
)


def check_text_fields(df: pl.DataFrame, lim: Limits) -> None:
    """Field length and control characters over every text column, in one pass."""
    cols = [c for c, t in df.schema.items() if t == pl.String]
    if not cols or df.height == 0:
        return
    stats = df.select(
        *[pl.col(c).str.len_bytes().max().alias(f"len:{c}") for c in cols],
        *[pl.col(c).str.contains(CONTROL).any().alias(f"ctl:{c}") for c in cols],
    ).row(0, named=True)
    for c in cols:
        longest = stats[f"len:{c}"]
        if longest is not None and longest > lim.max_field_bytes:
            row = df.filter(pl.col(c).str.len_bytes() > lim.max_field_bytes).row(0, named=True)
            raise DeliveryError(
                f"field too long in {c}: {longest:,} bytes > limit {lim.max_field_bytes:,} (max_field_bytes)",
                row.get("source_line"),
            )
    for c in cols:
        if stats[f"ctl:{c}"]:
            row = df.filter(pl.col(c).str.contains(CONTROL)).row(0, named=True)
            char = next(ch for ch in row[c] if ord(ch) < 0x20 or ord(ch) == 0x7F)
            raise DeliveryError(f"control character U+{ord(char):04X} in {c}", row.get("source_line"))


def content_rules(df: pl.DataFrame, ctx: Context, today: date) -> list[Rule]:
    rules = [
        Rule(pl.col(c).str.contains(FORMULA_START), c, "formula-like text (starts with = + - @) in a code")
        for c, t in df.schema.items()
        if t == pl.String and c not in FREE_TEXT_COLUMNS
    ]
    if ctx.name.table == "meldewesen":
        art = pl.col("ereignis_art")
        rules += [
            Rule(pl.col("meldedatum") < pl.col("ereignis_datum"), "meldedatum", "event recorded before it happened"),
            Rule(
                ~(art.str.ends_with("_AUSLAND") | art.str.ends_with("_INLAND")) & pl.col("herkunft_ziel").is_not_null(),
                "herkunft_ziel",
                "origin/destination given for an event that has none (must be empty)",
            ),
        ]
    rules += [
        Rule(pl.col(c) > pl.lit(today), c, f"date in the future (after {today.isoformat()})")
        for c in DATE_COLUMNS_NOT_AFTER_TODAY
        if c in df.columns
    ]
    return rules


def check_content(df: pl.DataFrame, ctx: Context, today: date | None = None) -> None:
    first_broken(df, content_rules(df, ctx, today or date.today()))
