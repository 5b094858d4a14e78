"""`standard` dialect: UTF-8 `;` CSV with standard column names, or Parquet with the same names."""

from __future__ import annotations

import io

import polars as pl

from ingest.config import CityConfig
from ingest.dialects.text import check_not_empty, parse_csv
from ingest.errors import DeliveryError
from ingest.layout import DeliveryName
from ingest.schemas import COLUMNS


def read(data: bytes, name: DeliveryName, city: CityConfig) -> pl.DataFrame:
    check_not_empty(data)
    if name.ext == "parquet":
        return read_parquet(data)
    if data.startswith(b"\xef\xbb\xbf"):  # tolerated: some exports add a BOM
        data = data[3:]
    return parse_csv(data, ";", set(COLUMNS[name.table]))


def read_parquet(data: bytes) -> pl.DataFrame:
    """Parquet columns come typed (Date, Int64, String, or Null when a column is all empty);
    they are turned into text here so every dialect passes the same typing and checks."""
    try:
        df = pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # polars raises several types for a corrupt file
        raise DeliveryError(f"not a readable Parquet file: {str(exc).splitlines()[0]}") from None
    if df.height == 0:
        raise DeliveryError("empty file: no records")
    as_text = []
    for col, dtype in df.schema.items():
        if dtype == pl.Date:
            as_text.append(pl.col(col).dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            as_text.append(pl.col(col).dt.strftime("%Y-%m-%d %H:%M:%S"))
        else:
            as_text.append(pl.col(col).cast(pl.String))
    return df.select(as_text).with_row_index("source_line", offset=1).with_columns(pl.col("source_line").cast(pl.Int32))
