"""Value cells of official tables: numbers, symbols and quality flags.

GENESIS symbols: `-` exactly zero (the only symbol that is a number); `.` unknown or secret;
`...` comes later; `/` not reliable enough; `x` blocked. Flags `p` (provisional), `r` (revised),
`s` (estimated), `e` and parentheses `(..)` (limited reliability) stay beside the number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MISSING_SYMBOLS = {
    ".": "unknown_or_secret",
    "...": "later",
    "…": "later",
    "/": "not_reliable",
    "x": "blocked",
}
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_FLAGGED = re.compile(r"^(?P<num>[+-]?\d+(?:[.,]\d+)?)\s*(?P<flag>[prse])$")
_PAREN = re.compile(r"^\((?P<num>[+-]?\d+(?:[.,]\d+)?)\)$")


class ValueError_(ValueError):
    """A cell that is neither a number nor a known symbol."""


@dataclass(frozen=True)
class Cell:
    value: float | None
    symbol: str | None = None
    missing_reason: str | None = None
    quality_flag: str | None = None


def _to_float(text: str, decimal_comma: bool) -> float:
    if decimal_comma:
        text = text.replace(",", ".")
    elif "," in text:
        raise ValueError_(f"unexpected comma in number {text!r}")
    return float(text)


def parse_cell(raw: str | None, *, decimal_comma: bool = True) -> Cell:
    """Turn one published cell into (value, symbol, missing reason, flag).

    decimal_comma: German files write 1,5; CBS files write 1.5 (no thousands separators in either).
    Raises ValueError_ for anything unknown, so a changed format fails loudly instead of loading NULLs.
    """
    text = (raw or "").strip()
    if text == "":
        return Cell(None, None, "empty")
    if text == "-":
        return Cell(0.0, "-")
    if text in MISSING_SYMBOLS:
        return Cell(None, text, MISSING_SYMBOLS[text])
    if _NUMBER.match(text):
        return Cell(_to_float(text, decimal_comma))
    m = _FLAGGED.match(text)
    if m:
        return Cell(_to_float(m["num"], decimal_comma), text, None, m["flag"])
    m = _PAREN.match(text)
    if m:
        return Cell(_to_float(m["num"], decimal_comma), text, None, "()")
    raise ValueError_(f"unknown value cell {text!r}")
