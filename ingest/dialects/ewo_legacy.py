"""`ewo-legacy` dialect (Dortmund): Windows-1252 `;` CSV with CRLF, upper-case German headers,
numeric event and sex codes, nationality keys without leading zeros, TT.MM.JJJJ dates and a
trailer line `Summe Datensaetze: <n>` (a mismatch means the file was cut off in transfer)."""

from __future__ import annotations

import re

import polars as pl

from ingest.config import CityConfig
from ingest.dialects.text import check_no_wide_encoding, check_not_empty, line_of_offset, parse_csv
from ingest.errors import DeliveryError
from ingest.layout import DeliveryName
from ingest.schemas import COLUMNS

HEADER_NAMES = {
    "EREIGNIS_NR": "ereignis_id",
    "DATUM_EREIGNIS": "ereignis_datum",
    "DATUM_MELDUNG": "meldedatum",
    "ART": "ereignis_art",
    "PERS_PSEUDO": "person_pseudonym",
    "GEBJ": "geburtsjahr",
    "GESCHL": "geschlecht",
    "STAATSANG": "staatsangehoerigkeit",
    "STAATSANG2": "staatsangehoerigkeit_2",
    "BEZ_ALT": "bezirk_alt",
    "BEZ_NEU": "bezirk_neu",
    "ADR_PSEUDO": "adresse_pseudonym",
    "HERK_ZIEL": "herkunft_ziel",
}  # every other header is the standard name in upper case
EVENT_CODES = {
    "10": "ZU_AUSLAND",
    "11": "ZU_INLAND",
    "12": "ZU_UNBEKANNT",
    "13": "STATUS_NW_HW",
    "20": "FO_AUSLAND",
    "21": "FO_INLAND",
    "22": "FO_UNBEKANNT",
    "23": "AVA",
    "24": "STATUS_HW_NW",
    "30": "UMZUG",
    "40": "GEBURT",
    "50": "TOD",
}
SEX_CODES = {"1": "m", "2": "w", "3": "d", "4": "x"}
NATIONALITY_COLUMNS = ("staatsangehoerigkeit", "staatsangehoerigkeit_2")
_TRAILER = re.compile(rb"^Summe Datensaetze:\s*(\d+)\s*$")
# UTF-8 encodings of U+00A0..U+00FF (umlauts, ß, ...). As Windows-1252 they read 'Ã¤', 'Ã¼':
# never seen in German register text, so their presence means (part of) the file is UTF-8.
_UTF8_LATIN1 = re.compile(rb"\xc3[\x80-\xbf]|\xc2[\xa0-\xbf]")


def _decode_cp1252(data: bytes) -> bytes:
    """Windows-1252 -> UTF-8 bytes. A file that is valid UTF-8 with non-ASCII characters was
    exported in the wrong encoding (cp1252 would accept it and silently garble umlauts)."""
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            first = next(i for i, b in enumerate(data) if b >= 0x80)
            raise DeliveryError("file is UTF-8, expected Windows-1252 (wrong encoding)", line_of_offset(data, first))
        mixed = _UTF8_LATIN1.search(data)
        if mixed:
            raise DeliveryError(
                "UTF-8 characters in a Windows-1252 file (wrong encoding)", line_of_offset(data, mixed.start())
            )
    try:
        return data.decode("cp1252").encode("utf-8")
    except UnicodeDecodeError as exc:
        raise DeliveryError(
            f"byte 0x{data[exc.start]:02x} is not Windows-1252 (wrong encoding)", line_of_offset(data, exc.start)
        ) from None


def split_trailer(data: bytes) -> tuple[bytes, int]:
    """Body without the trailer line, and the record count the trailer announces."""
    body = data.rstrip(b"\r\n")
    cut = body.rfind(b"\n")
    last = body[cut + 1 :]
    m = _TRAILER.match(last)
    if not m:
        raise DeliveryError(
            "trailer line 'Summe Datensaetze: <n>' missing: file cut off in transfer?", line_of_offset(data, len(body))
        )
    return body[: cut + 1], int(m.group(1))


def read(data: bytes, name: DeliveryName, city: CityConfig) -> pl.DataFrame:
    check_not_empty(data)
    check_no_wide_encoding(data)
    body, announced = split_trailer(data)
    body = _decode_cp1252(body)
    expected = {k for k in HEADER_NAMES} | {c.upper() for c in COLUMNS[name.table]}
    if not body.strip():
        raise DeliveryError("empty file: no header before the trailer", 1)
    df = parse_csv(body, ";", expected)
    if df.height != announced:
        raise DeliveryError(
            f"trailer announces {announced} records, file has {df.height}: cut off in transfer?", df.height + 2
        )
    df = df.rename({c: HEADER_NAMES.get(c, c.lower()) for c in df.columns if c != "source_line"})
    fixes = []
    if "ereignis_art" in df.columns:
        fixes.append(pl.col("ereignis_art").replace(EVENT_CODES))
    if "geschlecht" in df.columns:
        fixes.append(pl.col("geschlecht").replace(SEX_CODES))
    for col in NATIONALITY_COLUMNS:
        if col in df.columns:
            fixes.append(_pad_key(pl.col(col)))
    if "herkunft_ziel" in df.columns and "ereignis_art" in df.columns:
        abroad = pl.col("ereignis_art").replace(EVENT_CODES).str.ends_with("_AUSLAND")
        fixes.append(
            pl.when(abroad)
            .then(_pad_key(pl.col("herkunft_ziel")))
            .otherwise(pl.col("herkunft_ziel"))
            .alias("herkunft_ziel")
        )
    return df.with_columns(fixes)


def _pad_key(expr: pl.Expr) -> pl.Expr:
    """`0` -> `000`, `75` -> `075`: the export drops leading zeros of numeric keys."""
    return pl.when(expr.str.contains(r"^\d{1,2}$")).then(expr.str.zfill(3)).otherwise(expr)
