"""A city's own open-data tables (example: Köln `bevoelkerung.csv`, by Stadtbezirk, 2005-2012).

These are published small-area register figures of the city, not official statistics of the
statistical offices; `basis_note` says so. Köln's "Einwohner" counts main *and* secondary residences.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from ingest.official.decoding import decode
from ingest.official.records import ParsedFile, ParseError, dims_json, value_row
from ingest.official.symbols import ValueError_, parse_cell

KOELN_COLUMNS = ["id", "tab_id", "tabelle", "jahr", "raum_id", "raum", "zei_id", "zeile", "zahl"]
CITY_AGS = {"koeln": "05315000"}


def parse_city(data: bytes, file: str) -> ParsedFile:
    text, encoding = decode(data)
    name = file.rsplit("/", 1)[-1]
    city = re.match(r"^([a-z]+)_", name)
    if not city or city[1] not in CITY_AGS:
        raise ParseError(f"unknown city table {name!r} (known: {sorted(CITY_AGS)})")
    ags = CITY_AGS[city[1]]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames != KOELN_COLUMNS:
        raise ParseError(f"unexpected columns {reader.fieldnames}; expected {KOELN_COLUMNS}")
    table = f"{city[1]}-{name.split('_')[1]}"
    values = []
    for lineno, r in enumerate(reader, start=2):
        try:
            cell = parse_cell(r["zahl"], decimal_comma=False)
            year = int(r["jahr"])
        except (ValueError_, ValueError) as exc:
            raise ParseError(f"line {lineno}: {exc}") from None
        raum = r["raum_id"].strip()
        values.append(
            value_row(
                table_code=table,
                statistic_code=table,
                source="city",
                file=file,
                source_line=lineno,
                region_code=ags if raum == "000" else f"{ags}-{raum}",
                region_level="gemeinde" if raum == "000" else "stadtbezirk",
                region_name=r["raum"].strip(),
                period_type="year",
                period_date=date(year, 12, 31),
                period_year=year,
                measure=r["tabelle"].strip(),
                measure_code=f"{r['tab_id']}.{r['zei_id']}",
                dims=dims_json({"zeile": r["zeile"].strip()}),
                value=cell.value,
                value_symbol=cell.symbol,
                missing_reason=cell.missing_reason,
                rounded=False,
                unit="Anzahl",
                basis_note="Melderegister der Stadt (Haupt- und Nebenwohnsitz), not official statistics",
            )
        )
    return ParsedFile("city", table, encoding, values, [])
