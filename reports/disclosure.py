"""Disclosure control at the last step before publication.

The alliance layer suppresses counts of 1 or 2 (and the cells that would reveal them). The report
checks again: `guard_counts` suppresses any count of 1 or 2 that arrives unsuppressed, together with
the other cells of its row that would reveal it (value, numerator, denominator, interval), and
records each fix. `scan_*` look at the rendered output (tables in HTML, chart data CSVs) for
counts of 1 or 2 and for pseudonyms (32 hex characters); the renderer refuses to publish on a hit.
"""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import polars as pl

SMALL_COUNTS = (1, 2)
PSEUDONYM = re.compile(r"\b[0-9a-fA-F]{32}\b")
REVEALING_COLUMNS = ("value", "numerator", "denominator", "ci_lower", "ci_upper", "rank")


class DisclosureError(RuntimeError):
    """Rendered output would publish a small count or a pseudonym."""


def _small(col: pl.Expr) -> pl.Expr:
    return col.cast(pl.Float64).round(6).is_in([float(v) for v in SMALL_COUNTS])


def guard_counts(df: pl.DataFrame, count_mask: pl.Expr) -> tuple[pl.DataFrame, int]:
    """Suppress rows with an unsuppressed count of 1 or 2.

    `count_mask` marks the rows whose `value` is a count; numerators and denominators are counts
    in every row. Returns the guarded frame and how many rows had to be suppressed here.
    """
    if df.is_empty():
        return df, 0
    small = pl.lit(False)
    if "value" in df.columns:
        small = small | (count_mask & _small(pl.col("value")))
    for col in ("numerator", "denominator"):
        if col in df.columns:
            small = small | _small(pl.col(col))
    if "is_suppressed" not in df.columns:
        df = df.with_columns(is_suppressed=pl.lit(False))
    flagged = df.with_columns(_leak=small.fill_null(False) & ~pl.col("is_suppressed").fill_null(False))
    n_fixed = int(flagged["_leak"].sum())
    hide = pl.col("_leak") | pl.col("is_suppressed").fill_null(False)
    cols = [c for c in REVEALING_COLUMNS if c in flagged.columns]
    out = flagged.with_columns(
        [pl.when(hide).then(None).otherwise(pl.col(c)).alias(c) for c in cols] + [hide.alias("is_suppressed")]
    ).drop("_leak")
    return out, n_fixed


OPERATIONAL_CLASS = "operational"  # div class of tables counting files/checks, not persons
# div class of tables of balances (net migration = inflow - outflow): a balance of 1 or 2 is the
# difference of two published counts, not a count of persons, and reveals nothing beyond them
BALANCE_CLASS = "balance"
EXEMPT_CLASSES = (OPERATIONAL_CLASS, BALANCE_CLASS)


class _TableCells(HTMLParser):
    """Collects the text of every <td>/<th> cell outside `div.operational` and `div.balance`."""

    def __init__(self):
        super().__init__()
        self.cells: list[str] = []
        self._buf: list[str] | None = None
        self._divs: list[bool] = []  # per open div: is it operational?

    def handle_starttag(self, tag, attrs):
        if tag == "div":
            classes = (dict(attrs).get("class") or "").split()
            self._divs.append(any(c in classes for c in EXEMPT_CLASSES))
        elif tag in ("td", "th") and not any(self._divs):
            self._buf = []

    def handle_endtag(self, tag):
        if tag == "div" and self._divs:
            self._divs.pop()
        elif tag in ("td", "th") and self._buf is not None:
            self.cells.append("".join(self._buf).strip())
            self._buf = None

    def handle_data(self, data):
        if self._buf is not None:
            self._buf.append(data)


def _is_small_count(text: str) -> bool:
    """A bare 1 or 2 (possibly signed) is a count: rates and shares always carry decimals or %."""
    return re.fullmatch(r"[+−-]?\s*[12]", text.strip()) is not None


def scan_html(path: Path) -> list[str]:
    """Problems in the tables and text of a rendered HTML file."""
    text = Path(path).read_text(encoding="utf-8")
    parser = _TableCells()
    parser.feed(text)
    problems = [f"{path.name}: table cell {c!r} is a count of 1 or 2" for c in parser.cells if _is_small_count(c)]
    # Embedded images are base64; a pseudonym there would be chance - scan only the text parts.
    visible = re.sub(r"data:[^\"')\s]+", "", text)
    problems += [f"{path.name}: pseudonym-like string {m!r}" for m in PSEUDONYM.findall(visible)]
    return problems


def scan_chart_csv(path: Path) -> list[str]:
    """Problems in one chart-data CSV (columns value, unit; `unit` in COUNT units marks counts)."""
    from reports.data import is_count_unit

    problems = []
    with Path(path).open(encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            for key, cell in row.items():
                if cell and PSEUDONYM.search(cell):
                    problems.append(f"{path.name}:{i}: pseudonym-like string in {key}")
            counts = ["numerator", "denominator"] + (["value"] if is_count_unit(row.get("unit", "")) else [])
            for key in counts:
                cell = row.get(key)
                if cell not in (None, "") and float(cell) in SMALL_COUNTS:
                    problems.append(f"{path.name}:{i}: {key}={cell} is a count of 1 or 2")
    return problems


def scan_output(paths: list[Path]) -> list[str]:
    problems: list[str] = []
    for p in paths:
        p = Path(p)
        if p.suffix == ".html":
            problems += scan_html(p)
        elif p.suffix == ".csv":
            problems += scan_chart_csv(p)
    return problems
