"""`standard` dialect: UTF-8 `;` CSV with standard column names, or Parquet with the same names."""

from __future__ import annotations

import io

import polars as pl

from ingest.config import CityConfig
from ingest.dialects.text import check_not_empty, parse_csv
from ingest.errors import DeliveryError
from ingest.layout import DeliveryName
from ingest.limits import Limits, check_row_count, limits_for
from ingest.schemas import COLUMNS

BATCH_ROWS = 1 << 16  # Parquet is decoded in batches of this many rows, each checked against the limits


def read(data: bytes, name: DeliveryName, city: CityConfig) -> pl.DataFrame:
    check_not_empty(data)
    if name.ext == "parquet":
        return read_parquet(data, limits_for(name.city, name.table))
    if data.startswith(b"\xef\xbb\xbf"):  # tolerated: some exports add a BOM
        data = data[3:]
    return parse_csv(data, ";", set(COLUMNS[name.table]))


def _flat(dtype) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(dtype):
        return _flat(dtype.value_type)
    return (
        pa.types.is_string(dtype)
        or pa.types.is_large_string(dtype)
        or pa.types.is_integer(dtype)
        or pa.types.is_floating(dtype)
        or pa.types.is_decimal(dtype)
        or pa.types.is_boolean(dtype)
        or pa.types.is_date(dtype)
        or pa.types.is_timestamp(dtype)
        or pa.types.is_null(dtype)
        or getattr(pa.types, "is_string_view", lambda _t: False)(dtype)
    )


def _parquet_table(data: bytes, lim: Limits):
    """The file's columns as Arrow, read batch by batch so that neither the row count nor the
    decoded size can exceed the limits before they are checked (a small file whose pages
    expand to gigabytes stops at the limit). Only flat columns are part of the dialect."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(io.BytesIO(data))
        schema = pf.schema_arrow
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise DeliveryError(
            f"not a readable Parquet file: {(str(exc).splitlines() or [type(exc).__name__])[0]}"
        ) from None
    nested = [f"{f.name} ({f.type})" for f in schema if not _flat(f.type)]
    if nested:
        raise DeliveryError(
            "nested or binary Parquet column(s) " + ", ".join(nested)[:300] + ": the dialect has flat text, "
            "number and date columns only"
        )
    check_row_count(pf.metadata.num_rows, lim)
    batches, decoded = [], 0
    try:
        for batch in pf.iter_batches(batch_size=BATCH_ROWS):
            decoded += batch.nbytes
            if decoded > lim.max_uncompressed_bytes:
                raise DeliveryError(
                    f"Parquet data expand beyond {lim.max_uncompressed_bytes / (1 << 20):,.0f} MiB "
                    "(max_uncompressed_bytes): decompression bomb?"
                )
            batches.append(batch)
    except DeliveryError:
        raise
    except Exception as exc:
        raise DeliveryError(
            f"not a readable Parquet file: {(str(exc).splitlines() or [type(exc).__name__])[0]}"
        ) from None
    check_row_count(sum(b.num_rows for b in batches), lim)
    return pa.Table.from_batches(batches, schema=schema)


def read_parquet(data: bytes, lim: Limits | None = None) -> pl.DataFrame:
    """Parquet columns come typed (Date, Int64, String, or Null when a column is all empty);
    they are turned into text here so every dialect passes the same typing and checks."""
    table = _parquet_table(data, lim or limits_for("", ""))
    df = pl.from_arrow(table)
    if not isinstance(df, pl.DataFrame):
        df = df.to_frame()
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
