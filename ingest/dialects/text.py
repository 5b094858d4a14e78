"""Shared handling of delimited text deliveries: decoding, empty files, parsing to text columns."""

from __future__ import annotations

import polars as pl

from ingest.errors import DeliveryError

HEADER_LINES = 1  # data line n of the frame is file line n + 1 + HEADER_LINES - 1


def line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def check_not_empty(data: bytes) -> None:
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise DeliveryError("empty file (no header, no records)")


def check_utf8(data: bytes) -> None:
    """Strict UTF-8. Python's decoder names the first bad byte, which gives the line."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DeliveryError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); wrong encoding?",
            line_of_offset(data, exc.start),
        ) from None


def parse_csv(data: bytes, separator: str, expected_any: set[str]) -> pl.DataFrame:
    """Every column as text; empty field = NULL; adds `source_line` (header is line 1).

    Line numbers assume no line breaks inside quoted fields, which the dialects do not use.
    `expected_any` are column names of the dialect, used to tell a wrong separator apart.
    """
    try:
        df = pl.read_csv(data, separator=separator, infer_schema=False, has_header=True, raise_if_empty=False)
    except pl.exceptions.ComputeError as exc:
        msg = str(exc).splitlines()[0]
        if "utf-8" in msg.lower():
            check_utf8(data)
        raise DeliveryError(f"CSV cannot be parsed: {msg}") from None
    if df.width == 1 and not (set(df.columns) & expected_any):
        header = df.columns[0]
        other = next((s for s in ";,\t|" if s != separator and s in header), None)
        hint = f"header looks {other!r}-separated" if other else "header has a single column"
        raise DeliveryError(f"wrong separator: expected {separator!r}, {hint}", 1)
    if df.height == 0:
        raise DeliveryError("empty file: header but no records", 1)
    # CRLF files: polars keeps no '\r' in fields, but a stray one in the last column name is possible
    df = df.rename({c: c.strip().strip("\r") for c in df.columns})
    return df.with_row_index("source_line", offset=2).with_columns(pl.col("source_line").cast(pl.Int32))
