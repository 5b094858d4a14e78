"""Shared handling of delimited text deliveries: decoding, empty files, parsing to text columns."""

from __future__ import annotations

import io

import polars as pl

from ingest.errors import DeliveryError

HEADER_LINES = 1  # data line n of the frame is file line n + 1 + HEADER_LINES - 1


def line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def check_not_empty(data: bytes) -> None:
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise DeliveryError("empty file (no header, no records)")


_WIDE_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def check_no_wide_encoding(data: bytes) -> None:
    """UTF-16/32 files and NUL bytes, named as what they are: a UTF-16 file otherwise parses into
    garbage column names and would be reported as missing columns."""
    for bom, name in _WIDE_BOMS.items():
        if data.startswith(bom):
            raise DeliveryError(
                f"file is {name} (byte order mark {bom.hex(' ')}): wrong encoding, expected 8-bit text", 1
            )
    nul = data.find(b"\x00")
    if nul >= 0:
        head = data[:4096]
        if head.count(b"\x00") * 3 >= len(head):  # every other byte NUL: UTF-16 without BOM
            raise DeliveryError("file looks like UTF-16 (NUL bytes between the characters): wrong encoding", 1)
        raise DeliveryError("NUL byte in the file (binary data or a broken export)", line_of_offset(data, nul))


def check_complete_lines(data: bytes, separator: str) -> int:
    """Every record has the header's number of fields and the file ends with a line break.

    Polars fills a short line with NULLs without a word, so a file cut in the middle of a line
    (or a line that lost fields) would load; the formats without a trailer have no other way to
    show a cut. Returns the number of records. Fast path: without quote characters a field
    separator can only separate fields, so one count over the bytes decides; the line-by-line
    search runs only to name the first bad line.
    """
    if not data.endswith(b"\n"):
        last = data.rfind(b"\n") + 1
        raise DeliveryError(
            "file does not end with a line break: last record cut off in transfer?", line_of_offset(data, last)
        )
    sep = separator.encode()
    end = len(data)  # the records end before the trailing line breaks (no copy of the bytes)
    while end and data[end - 1] in b"\r\n":
        end -= 1
    header_end = data.find(b"\n", 0, end)
    if header_end < 0:
        return 0
    header_fields = data.count(sep, 0, header_end) + 1
    plain = data.find(b'"', 0, end) < 0 and data.find(b"\n\n", 0, end) < 0 and data.find(b"\n\r\n", 0, end) < 0
    if plain:
        lines = data.count(b"\n", 0, end) + 1
        if data.count(sep, 0, end) == lines * (header_fields - 1):
            return lines - 1
        records = (line.count(sep) + 1 for line in data[:end].split(b"\n"))
    else:  # quoted fields (or blank lines): count fields as a CSV reader does
        import csv

        text = data[:end].decode("utf-8", errors="replace")
        records = (len(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=separator) if row)
    n = 0
    for n, fields in enumerate(records, 1):
        if fields != header_fields:
            if n == 1:
                continue  # the header itself (csv path)
            raise DeliveryError(
                f"record {n - 1} has {fields} fields, the header {header_fields}: line cut off or broken", n
            )
    return n - 1


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
    check_no_wide_encoding(data)
    try:
        df = pl.read_csv(data, separator=separator, infer_schema=False, has_header=True, raise_if_empty=False)
    except pl.exceptions.PolarsError as exc:
        msg = (str(exc).splitlines() or [type(exc).__name__])[0]
        if "utf-8" in msg.lower():
            check_utf8(data)
        raise DeliveryError(f"CSV cannot be parsed: {msg[:300]}") from None
    if df.width == 1 and not (set(df.columns) & expected_any):
        header = df.columns[0]
        other = next((s for s in ";,\t|" if s != separator and s in header), None)
        hint = f"header looks {other!r}-separated" if other else "header has a single column"
        raise DeliveryError(f"wrong separator: expected {separator!r}, {hint}", 1)
    if df.height == 0:
        raise DeliveryError("empty file: header but no records", 1)
    records = check_complete_lines(data, separator)
    if records != df.height:
        raise DeliveryError(f"{records} records in the file but {df.height} parsed: unclosed quote or blank lines?")
    # CRLF files: polars keeps no '\r' in fields, but a stray one in the last column name is possible
    df = df.rename({c: c.strip().strip("\r") for c in df.columns})
    return df.with_row_index("source_line", offset=2).with_columns(pl.col("source_line").cast(pl.Int32))
