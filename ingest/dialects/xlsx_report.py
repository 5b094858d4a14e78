"""`xlsx-report` dialect (Duisburg): first sheet, rows 1-2 title and extraction time, row 3
empty, row 4 the standard column names, data from row 5; dates are Excel dates."""

from __future__ import annotations

import polars as pl

from ingest.config import CityConfig
from ingest.errors import DeliveryError
from ingest.layout import DeliveryName
from ingest.limits import check_row_count, check_zip, limits_for
from ingest.schemas import COLUMNS

HEADER_ROW = 4  # 1-based sheet row of the column names
FIRST_DATA_ROW = HEADER_ROW + 1


def read(data: bytes, name: DeliveryName, city: CityConfig) -> pl.DataFrame:
    import fastexcel  # Rust (calamine) reader: far faster than openpyxl for large sheets

    if not data:
        raise DeliveryError("empty file (0 bytes)")
    lim = limits_for(name.city, name.table)
    check_zip(data, lim)  # before the workbook reader expands anything
    try:
        sheet = fastexcel.read_excel(data).load_sheet(0, header_row=HEADER_ROW - 1, dtypes="string")
        df = sheet.to_polars()
    except Exception as exc:  # fastexcel raises its own error types for broken workbooks
        raise DeliveryError(f"not a readable xlsx workbook: {str(exc).splitlines()[0]}") from None
    check_row_count(df.height, lim)
    df = df.rename({c: str(c).strip() for c in df.columns})
    df = df.with_row_index("source_line", offset=FIRST_DATA_ROW).with_columns(pl.col("source_line").cast(pl.Int32))
    values = [c for c in df.columns if c != "source_line"]
    if values:
        df = df.filter(pl.any_horizontal(pl.col(values).is_not_null()))  # trailing blank rows
    if df.height == 0:
        raise DeliveryError("empty file: header but no records", HEADER_ROW)
    schema = COLUMNS[name.table]
    fixes = []
    for col in values:
        if schema.get(col) == pl.Date:
            # Excel date cells read as text give 'YYYY-MM-DD 00:00:00'
            fixes.append(pl.col(col).str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", "$1"))
        elif schema.get(col) in (pl.Int32, pl.Float64) or col == "monat":
            fixes.append(pl.col(col).str.replace(r"^(-?\d+)\.0$", "$1"))
    return df.with_columns(fixes)
