"""Classic GENESIS table downloads (regionalstatistik.de / GENESIS-Online "CSV" export).

Layout: `GENESIS-Tabelle: <code>`, title lines, an optional year line, 1-4 column-header rows
(first cell empty; a unit row `Anzahl` may follow), data rows (optional leading period, region
code, indented region name, optional row dimension, values) and a footer from the `__________`
line on: quoted notes, a copyright block and `Stand: <date>`.
"""

from __future__ import annotations

import csv
import re
from datetime import date

from ingest.official.records import (
    DIMENSION_NAMES,
    FILLER_LABELS,
    NATIONALITY_LABELS,
    SEX_LABELS,
    TOTAL_LABELS,
    UNITS,
    ParsedFile,
    ParseError,
    basis_note,
    classify_label,
    dims_json,
    is_rounded,
    normalise_region,
    value_row,
)
from ingest.official.symbols import ValueError_, parse_cell

_DATE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")
_YEAR = re.compile(r"^\d{4}$")
_TITLE_MEASURE = re.compile(r"^(?P<measure>.+?) \((?P<unit>[^()]+)\)$")
# Name of a row dimension that the header does not name, per statistic.
ROW_DIMENSION = {"21111": "Schulart"}


def _split(line: str) -> list[str]:
    return next(csv.reader([line], delimiter=";"))


def _is_period(text: str) -> bool:
    return bool(_DATE.match(text) or _YEAR.match(text))


class _Column:
    """Meaning of one value column, combined from the header rows."""

    def __init__(self, parts: list[str], unit: str | None, default_measure: str):
        self.period: str | None = None
        self.sex, self.nationality, self.age = "insgesamt", "insgesamt", "insgesamt"
        self.dims: dict[str, str] = {}
        self.unit = unit
        self.label = " | ".join(parts + ([unit] if unit else []))
        measure: list[str] = []
        rest = []
        for p in parts:
            if _is_period(p):
                self.period = p
            else:
                rest.append(p)
        i = 0
        while i < len(rest):
            p, low = rest[i], rest[i].lower()
            if low in DIMENSION_NAMES and i + 1 < len(rest):
                self.apply(DIMENSION_NAMES[low], rest[i + 1])
                i += 2
                continue
            kind = classify_label(p)
            if kind:
                self.apply(*kind)
            elif low not in TOTAL_LABELS and low not in FILLER_LABELS:
                measure.append(p)
            i += 1
        self.measure = " | ".join(measure) or default_measure

    def apply(self, kind: str, label: str) -> None:
        low = label.strip().lower()
        total = low in TOTAL_LABELS
        if kind == "sex":
            self.sex = "insgesamt" if total else SEX_LABELS.get(low, label)
        elif kind == "nationality":
            self.nationality = "insgesamt" if total else NATIONALITY_LABELS.get(low, label)
        elif kind == "age":
            self.age = "insgesamt" if total else label
        else:
            self.dims[kind] = label


def _period(text: str, title: str, statistic: str) -> tuple[str, date | None, int]:
    m = _DATE.match(text)
    if m:
        d = date(int(m[3]), int(m[2]), int(m[1]))
        return "reference_date", d, d.year
    year = int(text)
    if "Schuljahresbeginn" in title or statistic == "21111":
        return "school_year", None, year
    if "Stichtag 31.12" in title:
        return "reference_date", date(year, 12, 31), year
    return "year", date(year, 12, 31), year


def _parse_footer(lines: list[str], table_code: str) -> tuple[list[dict], str | None]:
    notes: list[dict] = []
    stand = None
    # csv over the whole footer keeps quoted multi-line notes together
    records = list(csv.reader("\n".join(lines).splitlines(keepends=True), delimiter=";"))
    for rec in records:
        text = (rec[0] if rec else "").strip()
        if not text:
            continue
        if text.startswith("Stand:"):
            stand = text[len("Stand:") :].strip()
            notes.append({"kind": "stand", "scope": None, "subject": None, "note_text": text})
        elif text.startswith("©"):
            notes.append(
                {
                    "kind": "copyright",
                    "scope": None,
                    "subject": None,
                    "note_text": " ".join(t.strip() for t in text.splitlines()),
                }
            )
        else:
            notes.extend(_split_notes(text))
    for i, n in enumerate(notes, 1):
        n.update(table_code=table_code, note_no=i)
    return notes, stand


_SCOPE = re.compile(r'^zu\s+"(?P<scope>[^"]+)":\s*$')
_NOTE_START = re.compile(r"^(?P<subject>[^.:]{2,80}):(\s|$)")


def _split_notes(block: str) -> list[dict]:
    """Cut a footnote block into single notes, each with its scope and subject, lines re-joined."""
    out: list[dict] = []
    scope = "gesamte Tabelle"
    current: list[str] = []

    def flush():
        if current:
            text = current[0]
            for nxt in current[1:]:
                if text.endswith("-") and nxt[:1].islower():
                    text = text[:-1] + nxt  # hyphenated word wrapped at line end
                elif text.endswith("-"):
                    text += nxt
                else:
                    text += " " + nxt
            m = _NOTE_START.match(text)
            out.append(
                {"kind": "footnote", "scope": scope, "subject": m["subject"].strip() if m else None, "note_text": text}
            )
            current.clear()

    prev = ""
    for raw in block.splitlines():
        line = raw.strip()
        if not line:
            flush()
            prev = ""
            continue
        m = _SCOPE.match(line)
        if m:
            flush()
            scope = m["scope"]
            prev = line
            continue
        if _NOTE_START.match(line) and not prev.endswith("-"):
            flush()
        current.append(line)
        prev = line
    flush()
    return out


def parse_classic(text: str, file: str, encoding: str) -> ParsedFile:
    lines = text.splitlines()
    if not lines or not lines[0].startswith("GENESIS-Tabelle:"):
        raise ParseError("not a classic GENESIS table: first line must start with 'GENESIS-Tabelle:'")
    table_code = _split(lines[0])[0].split(":", 1)[1].strip()
    statistic = table_code[:5]
    try:
        footer_at = next(i for i, l in enumerate(lines) if l.startswith("__________"))
    except StopIteration:
        raise ParseError("no footer line '__________' (file truncated?)") from None

    titles: list[str] = []
    header_year = None
    headers: list[list[str]] = []
    data: list[tuple[int, list[str]]] = []
    for lineno, line in enumerate(lines[1:footer_at], start=2):
        cells = _split(line)
        if not any(c.strip() for c in cells):
            continue
        if data or (headers and cells[0].strip()):
            data.append((lineno, cells))
        elif cells[0].strip() == "":
            headers.append(cells)
        elif _YEAR.match(cells[0].strip()) and not any(c.strip() for c in cells[1:]):
            header_year = cells[0].strip()
        else:
            titles.append(cells[0].strip())
    if not headers:
        raise ParseError("no column-header rows (rows starting with ';') found")
    if not data:
        raise ParseError("no data rows between header and footer")
    if len(headers) > 5:
        raise ParseError(f"{len(headers)} header rows; at most 4 plus a unit row are expected")
    title = " ".join(titles)

    width = max(len(h) for h in headers)
    n_label = min(next(i for i, c in enumerate(h) if c.strip()) for h in headers)
    unit_rows = [h for h in headers if all(c.strip().lower() in UNITS for c in h if c.strip())]
    label_rows = [h for h in headers if h not in unit_rows]
    default_measure, default_unit = (titles[-1] if titles else table_code), None
    for t in reversed(titles):
        m = _TITLE_MEASURE.match(t)
        if m and m["unit"].lower() in UNITS:
            default_measure, default_unit = m["measure"], m["unit"]
            break
    columns: list[_Column] = []
    for j in range(n_label, width):
        parts = [h[j].strip() for h in label_rows if j < len(h) and h[j].strip()]
        units = [h[j].strip() for h in unit_rows if j < len(h) and h[j].strip()]
        columns.append(_Column(parts, units[0] if units else default_unit, default_measure))

    values: list[dict] = []
    for lineno, cells in data:
        if len(cells) != width:
            raise ParseError(f"line {lineno}: {len(cells)} cells, header has {width}")
        labels = [c.strip() for c in cells[:n_label]]
        row_period = labels.pop(0) if labels and _is_period(labels[0]) and len(labels) > 2 else None
        if len(labels) < 2:
            raise ParseError(f"line {lineno}: no region code and name")
        try:
            region_code, level = normalise_region(labels[0])
        except ParseError as exc:
            raise ParseError(f"line {lineno}: {exc}") from None
        region_name = cells[n_label - len(labels) + 1].strip()
        row_dim = _Column([], None, "")
        for lab in labels[2:]:
            kind = classify_label(lab)
            if kind:
                row_dim.apply(*kind)
            elif lab.lower() in TOTAL_LABELS:
                if statistic in ROW_DIMENSION:
                    row_dim.dims[ROW_DIMENSION[statistic]] = lab
            else:
                row_dim.dims[ROW_DIMENSION.get(statistic, "Zeilenmerkmal")] = lab
        for j, col in enumerate(columns):
            ptext = row_period or col.period or header_year
            if ptext is None:
                raise ParseError(f"line {lineno}: no period (no period column, header date or year line)")
            ptype, pdate, pyear = _period(ptext, title, statistic)
            try:
                cell = parse_cell(cells[n_label + j], decimal_comma=True)
            except ValueError_ as exc:
                raise ParseError(f"line {lineno}, column {n_label + j + 1}: {exc}") from None

            def pick(a, b):
                return b if a == "insgesamt" else a

            values.append(
                value_row(
                    table_code=table_code,
                    statistic_code=statistic,
                    source="genesis-classic",
                    file=file,
                    source_line=lineno,
                    region_code=region_code,
                    region_level=level,
                    region_name=region_name,
                    period_type=ptype,
                    period_date=pdate,
                    period_year=pyear,
                    measure=col.measure,
                    sex=pick(col.sex, row_dim.sex),
                    nationality=pick(col.nationality, row_dim.nationality),
                    age_group=pick(col.age, row_dim.age),
                    dims=dims_json({**col.dims, **row_dim.dims}),
                    column_label=col.label,
                    value=cell.value,
                    value_symbol=cell.symbol,
                    missing_reason=cell.missing_reason,
                    quality_flag=cell.quality_flag,
                    rounded=is_rounded(statistic, pyear, region_code),
                    unit=col.unit,
                    basis_note=basis_note(statistic, pyear, ptype),
                )
            )
    notes, stand = _parse_footer(lines[footer_at + 1 :], table_code)
    notes.insert(
        0, {"table_code": table_code, "note_no": 0, "kind": "title", "scope": None, "subject": None, "note_text": title}
    )
    for n in notes:
        n["file"] = file
    return ParsedFile("genesis-classic", table_code, encoding, values, notes, stand)
