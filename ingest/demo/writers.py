"""One writer per delivery dialect: a frame in the standard shape -> a delivery file.

The shapes follow shared/spec/deliveries.md and copy the style of shared/spec/examples/landing
(e.g. the ewo-legacy export writes ZUZUG_DATUM and the gebiete validity in ISO form while every
other date is TT.MM.JJJJ, exactly as the example files do). Files are written to a temporary
name and renamed, then get their delivery time as modification time.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import polars as pl

from ingest import sources
from ingest.config import NATIONALITIES_CSV, CityConfig
from ingest.dialects import brp_export, ewo_legacy

# ewo-legacy header names, the reader's map turned round; other columns: the standard name in upper case
EWO_HEADERS = {standard: delivered for delivered, standard in ewo_legacy.HEADER_NAMES.items()}
EWO_EVENTS = {
    "ZU_AUSLAND": "10",
    "ZU_INLAND": "11",
    "ZU_UNBEKANNT": "12",
    "STATUS_NW_HW": "13",
    "FO_AUSLAND": "20",
    "FO_INLAND": "21",
    "FO_UNBEKANNT": "22",
    "AVA": "23",
    "STATUS_HW_NW": "24",
    "UMZUG": "30",
    "GEBURT": "40",
    "TOD": "50",
}
EWO_SEXES = {"m": "1", "w": "2", "d": "3", "x": "4"}
EWO_ISO_DATES = {"zuzug_datum", "gueltig_ab", "gueltig_bis"}  # as in the example export

# brp-export column names and the columns it does not deliver, as the source registry declares them
BRP_HEADERS = {
    t.name: {standard: delivered for delivered, standard in t.dialect_columns[brp_export.DIALECT].items()}
    for t in sources.tables()
    if brp_export.DIALECT in t.dialect_columns
}
BRP_DROPPED = {
    t.name: list(t.absent_columns[brp_export.DIALECT])
    for t in sources.tables()
    if brp_export.DIALECT in t.absent_columns
}
BRP_EVENTS = {
    "ZU_AUSLAND": "vestiging_buitenland",
    "ZU_INLAND": "vestiging_binnenland",
    "FO_AUSLAND": "vertrek_buitenland",
    "FO_INLAND": "vertrek_binnenland",
    "AVA": "vow",
    "UMZUG": "verhuizing",
    "GEBURT": "geboorte",
    "TOD": "overlijden",
}
BRP_SEXES = {"m": "M", "w": "V", "d": "O", "x": "O"}
XLSX_TITLE = "Stadt Duisburg - Amt für Statistik, Stadtforschung und Europaangelegenheiten"


@lru_cache(maxsize=1)
def destatis_to_iso3() -> dict[str, str]:
    with NATIONALITIES_CSV.open(encoding="utf-8") as fh:
        return {r["destatis_key"]: r["iso3"] for r in csv.DictReader(fh)}


def delivery_path(landing: Path, city: str, source: str, period: str, form: str, version: int, ext: str) -> Path:
    stem = period + (f"_{form}" if form else "") + (f"_v{version}" if version > 1 else "")
    return landing / city / source / f"{stem}.{ext}"


def _atomic_write(path: Path, data: bytes, mtime: datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    ts = mtime.timestamp()
    os.utime(path, (ts, ts))


def _iso(df: pl.DataFrame, cols) -> pl.DataFrame:
    return df.with_columns([pl.col(c).dt.strftime("%Y-%m-%d") for c in cols if c in df.columns])


def _csv(df: pl.DataFrame, sep: str, eol: str) -> str:
    return df.write_csv(
        separator=sep, line_terminator=eol, null_value="", date_format="%Y-%m-%d", quote_style="necessary"
    )


def standard_csv(df: pl.DataFrame, table: str) -> bytes:
    return _csv(df, ";", "\n").encode("utf-8")


def standard_parquet(df: pl.DataFrame, table: str) -> bytes:
    df = _iso(df, ["zuzug_datum", "gueltig_ab", "gueltig_bis"])  # text, as in the example files
    buf = io.BytesIO()
    df.write_parquet(buf)
    return buf.getvalue()


def ewo_legacy(df: pl.DataFrame, table: str) -> bytes:
    fixes = []
    for col, dtype in df.schema.items():
        if dtype == pl.Date:
            fmt = "%Y-%m-%d" if col in EWO_ISO_DATES else "%d.%m.%Y"
            fixes.append(pl.col(col).dt.strftime(fmt))
    if "ereignis_art" in df.columns:
        fixes.append(pl.col("ereignis_art").replace_strict(EWO_EVENTS))
    if "geschlecht" in df.columns:
        fixes.append(pl.col("geschlecht").replace_strict(EWO_SEXES))
    for col in ("staatsangehoerigkeit", "staatsangehoerigkeit_2"):  # the export drops leading zeros
        if col in df.columns:
            fixes.append(pl.col(col).str.strip_chars_start("0").replace("", "0"))
    out = df.with_columns(fixes).rename(lambda c: EWO_HEADERS.get(c, c.upper()))
    text = _csv(out, ";", "\r\n") + f"Summe Datensaetze: {df.height}\r\n"
    return text.encode("cp1252")


def brp_export(df: pl.DataFrame, table: str) -> bytes:
    iso = destatis_to_iso3()
    fixes = []
    if "ereignis_art" in df.columns:
        abroad = pl.col("ereignis_art").str.ends_with("_AUSLAND")
        fixes += [
            pl.col("ereignis_art").replace_strict(BRP_EVENTS),
            pl.when(abroad)
            .then(pl.col("herkunft_ziel").replace_strict(iso, default=None))
            .otherwise(pl.col("herkunft_ziel"))
            .alias("herkunft_ziel"),
        ]
    if "geschlecht" in df.columns:
        fixes.append(pl.col("geschlecht").replace_strict(BRP_SEXES))
    if "staatsangehoerigkeit" in df.columns:
        fixes.append(pl.col("staatsangehoerigkeit").replace_strict(iso, default=None))
    if "klassenart" in df.columns:
        fixes.append(pl.col("klassenart").replace_strict({"ERSTFOERDERUNG": "J", "REGEL": "N"}))
    out = df.with_columns(fixes).drop(BRP_DROPPED.get(table, []), strict=False)
    out = out.rename(BRP_HEADERS.get(table, {}), strict=False)
    return b"\xef\xbb\xbf" + _csv(out, ",", "\n").encode("utf-8")


def xlsx_report(df: pl.DataFrame, table: str, extracted_at: datetime, path: Path) -> None:
    from ingest.demo.xlsx import write_xlsx

    df = _iso(df, ["zuzug_datum", "gueltig_ab", "gueltig_bis"])  # text, as in the example files
    counts = {"bg", "elb", "nef", "personen_in_bg"} if table == "sgb2_aggregat" else set()
    write_xlsx(df, path, [XLSX_TITLE, f"Abzug vom {extracted_at:%d.%m.%Y %H:%M}"], counts)


def write_delivery(
    cfg: CityConfig, table: str, df: pl.DataFrame, path: Path, received: datetime, extracted_at: datetime | None = None
) -> int:
    """Write one delivery in the city's dialect; returns the size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if cfg.dialect == "xlsx-report":
        tmp = path.with_name(f".{path.stem}.tmp.xlsx")
        xlsx_report(df, table, extracted_at or received, tmp)
        os.replace(tmp, path)
        os.utime(path, (received.timestamp(), received.timestamp()))
        return path.stat().st_size
    if cfg.dialect == "ewo-legacy":
        data = ewo_legacy(df, table)
    elif cfg.dialect == "brp-export":
        data = brp_export(df, table)
    elif cfg.file_format == "parquet":
        data = standard_parquet(df, table)
    else:
        data = standard_csv(df, table)
    _atomic_write(path, data, received)
    return len(data)
