"""The tables of a report PDF, read back from its text, for the leak scan (reports.leakscan).

The PDF's tables are the HTML's (reports.tables renders one Markdown for both), but its text has
no <td>: pypdf's layout extraction keeps each table row on one line, its cells apart by two or
more spaces and at the x position of their column. A table is recognised by its header row (the
first cell is the report's "city" label, or the first row of several cells after a
"Tabelle N:" caption; a header repeated on the next page continues the table) and runs to the
next blank line. Each cell is placed in the header column it lies under.

A bare 1 or 2 is then found as the HTML scan finds it (reports.disclosure._is_small_count),
with two differences the text needs: the header says which columns hold no counts (ranks,
periods, methods, groups, notes, the operational columns of files and checks - the report's own
labels, reports.i18n), and a table whose caption names a balance indicator is left out as the
HTML's `div.balance` is (a balance is the difference of two published counts). Everything
outside tables - prose, captions, page numbers, footnotes - is not read for counts: it has no
column that says what a number is.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reports import i18n

# Header labels (reports.i18n keys) of columns that hold no counts of persons.
NOT_COUNT_KEYS = (
    "city",
    "group",
    "indicator",
    "rank",
    "flags",
    "period",
    "method",
    "interval",
    "basis",
    "difference_pct",
    "source",
    "version",
    "reason",
    "delivery",
    "decision",
    "decided_by",
    "decided_at",
    # operational tables: files and checks, not persons (HTML: div.operational)
    "received",
    "late",
    "corrected",
    "quarantined",
    "checks_passed",
    "checks_failed",
    "checks_error",
)
CHANGE_HEADERS = ("±", "± %")  # the summary's changes on the previous quarter: shares or decimals
CAPTION = re.compile(r"^(?:Tabelle|Table|Tabel)[\s\xa0]+\d+\s*:\s*(?P<text>.*)$")
CELL = re.compile(r"\S+(?:\s\S+)*")  # words apart by one space (or a no-break space) form a cell
# a bare 1 or 2: signed (a change) or in parentheses (small base), a footnote mark after it
SMALL_COUNT = re.compile(r"\(?[+−-]?\s?[12]\)?(?:\s?[‡†§*¹²³⁴⁵⁶⁷⁸⁹])*")
SEED = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "indicator_catalogue.csv"


@dataclass(frozen=True)
class Cell:
    text: str
    start: int
    end: int


@dataclass
class Table:
    page: int
    caption: str
    header: list[Cell]
    is_balance: bool
    rows: list[tuple[int, list[Cell]]]  # (line number on the page, cells)

    def column_of(self, cell: Cell) -> str:
        """The header label the cell lies under (most overlap, else the nearest column)."""

        def overlap(h: Cell) -> int:
            return min(h.end, cell.end) - max(h.start, cell.start)

        def distance(h: Cell) -> int:
            return max(h.start - cell.end, cell.start - h.end, 0)

        best = max(self.header, key=lambda h: (overlap(h), -distance(h)))
        return best.text


def cells(line: str) -> list[Cell]:
    return [Cell(m.group(), m.start(), m.end()) for m in CELL.finditer(line)]


def _label(key: str) -> set[str]:
    return {i18n.t(key, lang) for lang in i18n.LANGUAGES}


@cache
def not_count_headers() -> frozenset[str]:
    return frozenset({label for key in NOT_COUNT_KEYS for label in _label(key)} | set(CHANGE_HEADERS))


@cache
def balance_names() -> frozenset[str]:
    """Names of the balance indicators in every language (the catalogue seed, as the report
    names them in a table's caption "<name>, <period>")."""
    with SEED.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if (r.get("unit") or "").startswith("balance")]
    return frozenset(r[f"name_{lang}"] for r in rows for lang in i18n.LANGUAGES if r.get(f"name_{lang}"))


def _is_balance(caption: str) -> bool:
    return any(caption == n or caption.startswith(n + ",") for n in balance_names())


def tables(pages: list[str]) -> list[Table]:
    """The tables of the pages' layout text (one string per page)."""
    city = _label("city")
    out: list[Table] = []
    for page_no, text in enumerate(pages, start=1):
        caption: str | None = None  # the caption seen last, waiting for its header
        current: Table | None = None
        for line_no, line in enumerate(text.splitlines(), start=1):
            row = cells(line)
            m = CAPTION.match(line.strip())
            if m:
                caption, current = m.group("text"), None
                continue
            if not row:
                current = None  # a blank line ends a table
                continue
            starts_with_city = len(row) >= 2 and row[0].text in city  # a header: data rows start with a city
            if current is not None and not starts_with_city:
                if len(row) >= 2:
                    current.rows.append((line_no, row))
                continue  # one cell alone: a wrapped cell of the row above
            if current is not None and current.header[0].text not in city:
                # what came first (without a blank line between) was a caption's justified
                # continuation, not a table: the city header is the table's
                caption = current.caption
                out.pop()
            is_header = starts_with_city or (len(row) >= 2 and caption is not None)
            if not is_header:
                continue
            previous = out[-1] if out else None
            if caption is None and previous is not None and [c.text for c in previous.header] == [c.text for c in row]:
                caption = previous.caption  # the header repeated on the next page: the same table
            current = Table(page_no, caption or "", row, _is_balance(caption or ""), [])
            out.append(current)
            caption = None
    return out


def small_counts(pages: list[str]) -> list[tuple[Table, int, str, str]]:
    """(table, line, column, cell text) of every bare 1 or 2 in a count column of a table."""
    skip = not_count_headers()
    found = []
    for table in tables(pages):
        if table.is_balance:
            continue
        for line_no, row in table.rows:
            for cell in row:
                column = table.column_of(cell)
                if column not in skip and SMALL_COUNT.fullmatch(cell.text):
                    found.append((table, line_no, column, cell.text))
    return found
