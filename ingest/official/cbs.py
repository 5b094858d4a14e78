"""CBS StatLine CSV exports for Dutch municipalities.

Two shapes occur:
- typed data set (OData `TypedDataSet` as CSV): key columns `Regions`/`RegioS`, `Periods`/`Perioden`,
  optional `Sex`/`Geslacht`, measure columns `<Name>_<n>`. Keys are resolved by name (the numeric
  suffix and some names change between table versions), never by position.
- StatLine download passed through a spreadsheet: `Regio's,Onderwerp,<period>,...`, one row per
  region and subject, no region keys (resolved by name through the city configurations), `Bron:` footer.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from ingest.config import load_cities
from ingest.official.decoding import decode
from ingest.official.records import ParsedFile, ParseError, normalise_region, value_row
from ingest.official.symbols import ValueError_, parse_cell

REGION_KEYS = ("Regions", "RegioS", "Regio's")
PERIOD_KEYS = ("Periods", "Perioden")
SEX_KEYS = ("Sex", "Geslacht")
SEX_CODES = {"T001038": "insgesamt", "3000": "maennlich", "4000": "weiblich"}
# Renamed keys across table versions -> one canonical measure name.
SYNONYMS = {"VertrekNaarEenAndereGemeente": "VertrekNaarAndereGemeente"}
_KEY = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9]*?)_(?P<n>\d+)$")
_PERIOD = re.compile(r"^(?P<y>\d{4})(?P<kind>JJ|MM|KW|X0)(?P<n>\d{2})$")


def canonical_measure(key: str) -> str | None:
    m = _KEY.match(key.strip())
    if not m:
        return None
    return SYNONYMS.get(m["name"], m["name"])


def parse_period(text: str) -> tuple[str, date | None, int]:
    t = text.strip()
    m = _PERIOD.match(t)
    if m:
        y, kind, n = int(m["y"]), m["kind"], int(m["n"])
        if kind == "JJ":
            return "year", date(y, 12, 31), y
        if kind == "MM":
            nxt = date(y + (n == 12), n % 12 + 1, 1)
            return "month", date.fromordinal(nxt.toordinal() - 1), y
        if kind == "KW":
            nxt = date(y + (n == 4), (n * 3) % 12 + 1, 1)
            return "quarter", date.fromordinal(nxt.toordinal() - 1), y
    if re.fullmatch(r"\d{4}", t):
        return "year", date(int(t), 12, 31), int(t)
    raise ParseError(f"unknown CBS period {text!r}")


def _unit(measure: str) -> str:
    if "Ratio" in measure or "Relatief" in measure:
        return "per 1 000 inwoners"
    if "Density" in measure or "Bevolkingsdichtheid" in measure:
        return "per km2"
    return "aantal"


def _table_code(file: str) -> str:
    name = file.rsplit("/", 1)[-1]
    m = re.match(r"^(\d{5}[a-z]{3})", name, re.I)
    if not m:
        raise ParseError(f"cannot read the CBS table id from the file name {name!r}")
    return m[1].lower()


def parse_cbs(data: bytes, file: str) -> ParsedFile:
    text, encoding = decode(data)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise ParseError("empty file")
    header = [h.strip() for h in rows[0]]
    table = _table_code(file)
    if any(k in header for k in PERIOD_KEYS):
        return _parse_typed(header, rows[1:], table, file, encoding)
    if header[:2] == ["Regio's", "Onderwerp"]:
        return _parse_wide(header, rows[1:], table, file, encoding)
    raise ParseError(f"unknown CBS layout, header starts {header[:3]}")


def _col(header: list[str], names: tuple[str, ...]) -> int | None:
    return next((header.index(n) for n in names if n in header), None)


def _parse_typed(header, rows, table, file, encoding) -> ParsedFile:
    i_reg, i_per, i_sex = _col(header, REGION_KEYS), _col(header, PERIOD_KEYS), _col(header, SEX_KEYS)
    if i_reg is None:
        raise ParseError(f"no region key column ({'/'.join(REGION_KEYS)})")
    i_reg_label = header.index(header[i_reg] + " Label") if header[i_reg] + " Label" in header else None
    measures = [(j, h, canonical_measure(h)) for j, h in enumerate(header) if canonical_measure(h)]
    if not measures:
        raise ParseError("no measure columns <Name>_<n>")
    values = []
    for lineno, r in enumerate(rows, start=2):
        if not any(c.strip() for c in r):
            continue
        if len(r) != len(header):
            raise ParseError(f"line {lineno}: {len(r)} cells, header has {len(header)}")
        try:
            region_code, level = normalise_region(r[i_reg])
            ptype, pdate, pyear = parse_period(r[i_per])
        except ParseError as exc:
            raise ParseError(f"line {lineno}: {exc}") from None
        sex_code = r[i_sex].strip() if i_sex is not None else "T001038"
        if sex_code not in SEX_CODES:
            raise ParseError(f"line {lineno}: unknown sex key {sex_code!r}")
        for j, key, measure in measures:
            try:
                cell = parse_cell(r[j], decimal_comma=False)
            except ValueError_ as exc:
                raise ParseError(f"line {lineno}, column {key}: {exc}") from None
            values.append(
                value_row(
                    table_code=table,
                    statistic_code=table,
                    source="cbs",
                    file=file,
                    source_line=lineno,
                    region_code=region_code,
                    region_level=level,
                    region_name=r[i_reg_label].strip() if i_reg_label is not None else None,
                    period_type=ptype,
                    period_date=pdate,
                    period_year=pyear,
                    measure=measure,
                    measure_code=key,
                    sex=SEX_CODES[sex_code],
                    value=cell.value,
                    value_symbol=cell.symbol,
                    missing_reason=cell.missing_reason,
                    quality_flag=cell.quality_flag,
                    rounded=False,
                    unit=_unit(measure),
                    basis_note="CBS Bevolkingsstatistiek (BRP)",
                )
            )
    return ParsedFile("cbs", table, encoding, values, [])


def _parse_wide(header, rows, table, file, encoding) -> ParsedFile:
    periods = [parse_period(h) for h in header[2:] if h]
    by_name = {c.name: c.official_key for c in load_cities().values() if c.country == "NL"}
    values, notes = [], []
    for lineno, r in enumerate(rows, start=2):
        if not any(c.strip() for c in r):
            continue
        if r[0].startswith("Bron:"):
            notes.append(
                {
                    "table_code": table,
                    "file": file,
                    "note_no": len(notes) + 1,
                    "kind": "footnote",
                    "scope": "gesamte Tabelle",
                    "subject": "Bron",
                    "note_text": ",".join(c for c in r if c).strip(),
                }
            )
            continue
        name, subject = r[0].strip(), r[1].strip()
        code = by_name.get(name)  # the download carries names only; unknown names keep a NULL code
        for (ptype, pdate, pyear), raw in zip(periods, r[2:]):
            try:
                cell = parse_cell(raw, decimal_comma=False)
            except ValueError_ as exc:
                raise ParseError(f"line {lineno}: {exc}") from None
            if subject.lower().startswith("bevolking aan het einde"):
                ptype = "reference_date"  # population at the end of the (yearly) period
            values.append(
                value_row(
                    table_code=table,
                    statistic_code=table,
                    source="cbs",
                    file=file,
                    source_line=lineno,
                    region_code=code,
                    region_level="gemeinde",
                    region_name=name,
                    period_type=ptype,
                    period_date=pdate,
                    period_year=pyear,
                    measure=subject,
                    value=cell.value,
                    value_symbol=cell.symbol,
                    missing_reason=cell.missing_reason,
                    rounded=False,
                    unit="aantal",
                    basis_note="CBS Bevolkingsstatistiek (BRP); region key resolved by name",
                )
            )
    if not values:
        raise ParseError("no data rows")
    return ParsedFile("cbs", table, encoding, values, notes)
